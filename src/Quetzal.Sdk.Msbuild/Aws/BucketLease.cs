using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// Serialises the publishes of one model across folders and machines: a lease object at the root of the model's
/// bucket, created with S3's conditional write (If-None-Match: *), renewed while the publish runs and deleted at its
/// end. Its key has no slash, so it is no top-level prefix: Quenedi, which lists those as scenarios, does not show
/// it, and pruning (which works under a scenario's prefix) never touches it. A lease left by a publish that was
/// killed expires after <see cref="Duration"/>; the next publish takes it over.
/// </summary>
public sealed class BucketLease : IAsyncDisposable
{
    public const string Key = ".quetzal-publish-lease.json";
    public static readonly TimeSpan Duration = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Renewal = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    private readonly IAmazonS3 _s3;
    private readonly S3Profile _profile;
    private readonly string _bucket;
    private readonly string _model;
    private readonly IPublishLog _log;
    private readonly string _holder;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private readonly TimeProvider _time;
    private string _etag;

    private BucketLease(IAmazonS3 s3, S3Profile profile, string bucket, string model, string holder, string etag, bool waited, IPublishLog log, TimeProvider time)
    {
        _time = time;
        _s3 = s3;
        _profile = profile;
        _bucket = bucket;
        _model = model;
        _holder = holder;
        _etag = etag;
        _log = log;
        Waited = waited;
        _renewal = Task.Run(RenewAsync);
    }

    /// <summary>Whether another publish held the lease first: what was read before may have changed since.</summary>
    public bool Waited { get; }

    /// <summary>Who holds a lease this process takes: enough for a colleague to know whom to ask.</summary>
    public static string ThisHolder => $"{Environment.UserName}@{Environment.MachineName} (process {Environment.ProcessId})";

    /// <summary>
    /// Takes the lease, waiting up to <paramref name="timeout"/> for another holder to release it (or for its lease
    /// to expire), then QTZ4071. Null, with the warning QTZ4073, when the storage does not support conditional writes
    /// (no lease is possible). The client stays the caller's. <paramref name="time"/>: the clock of the waits and the
    /// lease's times (tests give a fake one); null: the system's.
    /// </summary>
    public static async Task<BucketLease?> AcquireAsync(IAmazonS3 s3, S3Profile profile, string bucket, string model, TimeSpan timeout, IPublishLog log, CancellationToken cancellation, TimeProvider? time = null)
    {
        try
        {
            return await TakeAsync(s3, profile, bucket, model, timeout, log, time ?? TimeProvider.System, cancellation);
        }
        catch (AmazonServiceException e) when (S3Clients.BucketMissing(e, bucket) is { } missing)
        {
            throw missing;
        }
        catch (AmazonServiceException e) when (!ServiceFailures.IsCredentialError(e.ErrorCode))
        {
            throw new QuetzalException(Codes.PublishLeaseFailed, bucket, Key, e.Message);
        }
    }

    private static async Task<BucketLease?> TakeAsync(IAmazonS3 s3, S3Profile profile, string bucket, string model, TimeSpan timeout, IPublishLog log, TimeProvider time, CancellationToken cancellation)
    {
        var holder = ThisHolder;
        var deadline = Now(time) + timeout;
        var waited = false;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                var etag = await PutAsync(s3, profile, bucket, model, holder, ifMatch: null, Now(time), cancellation);
                return new BucketLease(s3, profile, bucket, model, holder, etag, waited, log, time);
            }
            catch (AmazonS3Exception e) when (IsConflict(e))
            {
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotImplemented && !profile.ConditionalWritesKnown)
            {
                log.Warning(Codes.PublishWithoutLease.Create(null, bucket, model));
                return null;
            }

            var current = await ReadAsync(s3, bucket, Now(time), cancellation);
            if (current is null) continue; // released between our write and our read
            if (current.Expires < Now(time))
            {
                try
                {
                    var etag = await PutAsync(s3, profile, bucket, model, holder, current.ETag, Now(time), cancellation);
                    log.Info($"Quetzal: took over the expired publish lease of {current.Holder} (s3://{bucket}/{Key})");
                    return new BucketLease(s3, profile, bucket, model, holder, etag, waited, log, time);
                }
                catch (AmazonS3Exception e) when (IsConflict(e))
                {
                    continue;
                }
            }
            if (Now(time) >= deadline)
                throw new QuetzalException(Codes.PublishLeaseHeld, model, current.Holder, Time(current.Acquired), bucket, Key, (int)timeout.TotalSeconds, Time(current.Expires));
            if (!waited) log.Info($"Quetzal: {current.Holder} has been publishing {model} since {Time(current.Acquired)}; waiting for it (s3://{bucket}/{Key})");
            waited = true;
            await Task.Delay(Poll, time, cancellation);
        }
    }

    private static bool IsConflict(AmazonS3Exception e) => e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict;

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static DateTime Now(TimeProvider time) => time.GetUtcNow().UtcDateTime;

    private static async Task<string> PutAsync(IAmazonS3 s3, S3Profile profile, string bucket, string model, string holder, string? ifMatch, DateTime now, CancellationToken cancellation)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket, Key = Key, ContentType = "application/json", UseChunkEncoding = profile.ChunkedBodies,
            ContentBody = new JsonObject
            {
                ["model"] = model, ["holder"] = holder,
                ["acquired"] = now.ToString("o", CultureInfo.InvariantCulture),
                ["expires"] = (now + Duration).ToString("o", CultureInfo.InvariantCulture),
            }.ToJsonString() + "\n",
        };
        if (ifMatch is null) request.IfNoneMatch = "*";
        else request.IfMatch = ifMatch;
        var response = await s3.PutObjectAsync(request, cancellation);
        return response.ETag;
    }

    private sealed record Lease(string Holder, DateTime Acquired, DateTime Expires, string ETag);

    private static async Task<Lease?> ReadAsync(IAmazonS3 s3, string bucket, DateTime now, CancellationToken cancellation)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, Key, cancellation);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(cancellation);
            try
            {
                var json = JsonNode.Parse(text) as JsonObject;
                return new Lease((string?)json?["holder"] ?? "another publish",
                    DateTime.Parse((string?)json?["acquired"] ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    DateTime.Parse((string?)json?["expires"] ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    response.ETag);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                // Not a lease this SDK wrote: it expires with the object's age.
                return new Lease("an unknown holder", response.LastModified?.ToUniversalTime() ?? now,
                    (response.LastModified?.ToUniversalTime() ?? now) + Duration, response.ETag);
            }
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task RenewAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Renewal, _time, _stop.Token);
                _etag = await PutAsync(_s3, _profile, _bucket, _model, _holder, _etag, Now(_time), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
            {
                _log.Detail($"  could not renew the publish lease s3://{_bucket}/{Key} ({e.Message}); it expires {Duration.TotalMinutes:F0} minutes after it was last written");
            }
        }
    }

    /// <summary>Deletes the lease if it is still ours; if that fails, it expires on its own.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewal;
        try
        {
            var current = await ReadAsync(_s3, _bucket, Now(_time), CancellationToken.None);
            if (current is not null && current.ETag == _etag) await _s3.DeleteObjectAsync(_bucket, Key, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
        {
            _log.Detail($"  could not release the publish lease s3://{_bucket}/{Key} ({e.Message}); it expires on its own");
        }
        _stop.Dispose();
    }
}
