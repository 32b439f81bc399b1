using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>The publish lease in a model's bucket, against s3rver behind the stack's conditional-write front (as S3 behaves).</summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)]
public sealed class BucketLeaseTests : IDisposable
{
    private readonly string _bucket = $"qtz-lease-{Guid.NewGuid():N}"[..22];
    private readonly AmazonS3Client _s3 = new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });
    private readonly AwsSettings _settings = LocalStack.ConditionalSettings();
    /// <summary>The SDK's own client, through the conditional-write front.</summary>
    private readonly AmazonS3Client _lease = S3Clients.Create(LocalStack.ConditionalSettings());

    public void Dispose()
    {
        _lease.Dispose();
        _s3.Dispose();
    }

    private sealed class Log : IPublishLog
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public void Info(string message) => Lines.Enqueue(message);
        public void Detail(string message) => Lines.Enqueue(message);
        public void Warning(Diagnostic diagnostic) => Lines.Enqueue(diagnostic.ToString());
    }

    private async Task<bool> LeaseExists()
    {
        try
        {
            await _s3.GetObjectMetadataAsync(_bucket, BucketLease.Key);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [Fact]
    public void The_lease_is_no_scenario_prefix_so_Quenedi_does_not_list_it()
        => Assert.DoesNotContain('/', BucketLease.Key);

    [StackFact]
    public async Task A_second_holder_waits_then_gives_up_naming_the_first_and_takes_the_lease_once_released()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var first = await BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(5), NullPublishLog.Instance, default);
        Assert.NotNull(first);
        Assert.False(first.Waited);
        Assert.True(await LeaseExists());

        var log = new Log();
        var refused = await Assert.ThrowsAsync<QuetzalException>(() => BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(3), log, default));
        Assert.Equal("QTZ4071", refused.Diagnostic.Code);
        Assert.Contains(BucketLease.ThisHolder, refused.Diagnostic.Message);
        Assert.Contains($"s3://{_bucket}/{BucketLease.Key}", refused.Diagnostic.Message);
        Assert.Contains(log.Lines, l => l.Contains("waiting for it", StringComparison.Ordinal));

        // Released while a second one waits: the second takes it, and knows it waited.
        var waiting = BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(30), NullPublishLog.Instance, default);
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);
        await first.DisposeAsync();
        var second = await waiting;
        Assert.NotNull(second);
        Assert.True(second.Waited);
        await second.DisposeAsync();
        Assert.False(await LeaseExists());
    }

    [StackFact]
    public async Task An_expired_lease_left_by_a_killed_publish_is_taken_over()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var past = DateTime.UtcNow.AddHours(-1).ToString("o");
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = BucketLease.Key, UseChunkEncoding = false,
            ContentBody = $"{{\"model\":\"m\",\"holder\":\"ghost@old-laptop (process 1)\",\"acquired\":\"{past}\",\"expires\":\"{past}\"}}",
        });
        var log = new Log();
        var lease = await BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(5), log, default);
        Assert.NotNull(lease);
        Assert.Contains(log.Lines, l => l.Contains("took over the expired publish lease of ghost@old-laptop", StringComparison.Ordinal));
        await lease.DisposeAsync();
        Assert.False(await LeaseExists());
    }

    [StackFact]
    public async Task Releasing_leaves_a_lease_that_someone_else_took_over()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var lease = await BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(5), NullPublishLog.Instance, default);
        Assert.NotNull(lease);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = BucketLease.Key, ContentBody = "{\"holder\":\"someone else\"}", UseChunkEncoding = false });
        await lease.DisposeAsync();
        Assert.True(await LeaseExists());
    }

    [StackFact]
    public async Task A_teardown_waits_for_a_publish_then_empties_the_bucket_lease_included()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "base/inputs/params.json", ContentBody = "[]", UseChunkEncoding = false });
        var teardown = new ModelTeardown(new AwsClients(_settings, NullPublishLog.Instance), NullPublishLog.Instance);
        var request = new TeardownRequest("m", _bucket, $"{_bucket}-repo", $"{_bucket}-function", DryRun: false, LeaseTimeout: TimeSpan.FromSeconds(2));

        var publishing = await BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(5), NullPublishLog.Instance, default);
        Assert.NotNull(publishing);
        var refused = await Assert.ThrowsAsync<QuetzalException>(() => teardown.RunAsync(request, default));
        Assert.Equal("QTZ4071", refused.Diagnostic.Code);
        await _s3.GetObjectMetadataAsync(_bucket, "base/inputs/params.json"); // untouched

        await publishing.DisposeAsync();
        await teardown.RunAsync(request, default);
        var left = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        Assert.Empty(left.S3Objects ?? []);
    }

    [StackFact]
    public async Task A_missing_bucket_is_its_coded_error()
    {
        LocalStack.EnsureRunning();
        var missing = await Assert.ThrowsAsync<QuetzalException>(() => BucketLease.AcquireAsync(_lease, S3Profile.For(_settings), _bucket, "m", TimeSpan.FromSeconds(5), NullPublishLog.Instance, default));
        Assert.Equal(Codes.BucketMissing.Code, missing.Diagnostic.Code);
    }
}
