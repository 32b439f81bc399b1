using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// Which buckets each Cognito group of Quenedi may see: cognito_group_access.json in the config bucket, a JSON
/// object of group name to bucket list. Changed by read-modify-write with a conditional put on the ETag read (or
/// on "no such file"), retried on conflict, so that two admins granting at once both land. Idempotent.
/// </summary>
public sealed class AccessGrants(IAmazonS3 s3, S3Profile profile, IPublishLog log)
{
    public const string AccessFile = "cognito_group_access.json";
    public int MaxAttempts { get; init; } = 10;

    /// <returns>Whether the file changed.</returns>
    public Task<bool> GrantAsync(string configBucket, string group, string bucket, CancellationToken cancellation)
        => ChangeAsync(configBucket, group, cancellation, list =>
        {
            if (list.Contains(bucket)) return false;
            list.Add(bucket);
            return true;
        }, $"granted group '{group}' access to {bucket}", $"group '{group}' already has access to {bucket}");

    public Task<bool> RevokeAsync(string configBucket, string group, string bucket, CancellationToken cancellation)
        => ChangeAsync(configBucket, group, cancellation, list => list.Remove(bucket),
            $"revoked group '{group}''s access to {bucket}", $"group '{group}' had no access to {bucket}");

    private async Task<bool> ChangeAsync(string configBucket, string group, CancellationToken cancellation, Func<List<string>, bool> change, string changed, string unchanged)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (document, etag) = await ReadAsync(s3, configBucket, cancellation);
            var list = (document[group] as JsonArray)?.Select(n => (string?)n).OfType<string>().ToList() ?? [];
            if (!change(list))
            {
                log.Info($"Quetzal: {unchanged} (s3://{configBucket}/{AccessFile} unchanged)");
                return false;
            }
            document[group] = new JsonArray(list.Select(b => (JsonNode)b).ToArray());
            var request = new PutObjectRequest
            {
                BucketName = configBucket, Key = AccessFile, ContentType = "application/json",
                ContentBody = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
                UseChunkEncoding = profile.ChunkedBodies,
            };
            if (etag is null) request.IfNoneMatch = "*";
            else request.IfMatch = etag;
            try
            {
                await s3.PutObjectAsync(request, cancellation);
                log.Info($"Quetzal: {changed} (s3://{configBucket}/{AccessFile})");
                return true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                log.Detail($"  {AccessFile} changed since it was read (attempt {attempt}); reading it again");
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 100 * attempt)), cancellation);
            }
        }
        throw new QuetzalException(Codes.AccessConflict, configBucket, AccessFile, MaxAttempts);
    }

    private static async Task<(JsonObject Document, string? ETag)> ReadAsync(IAmazonS3 s3, string bucket, CancellationToken cancellation)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, AccessFile, cancellation);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(cancellation);
            try
            {
                return (JsonNode.Parse(text) as JsonObject ?? throw new JsonException("the top level is not an object"), response.ETag);
            }
            catch (JsonException e)
            {
                throw new QuetzalException(Codes.AccessFileInvalid, bucket, AccessFile, e.Message);
            }
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            return (new JsonObject(), null);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            throw new QuetzalException(Codes.BucketMissing, bucket);
        }
    }
}
