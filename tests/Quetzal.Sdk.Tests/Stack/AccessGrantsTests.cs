using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>cognito_group_access.json changed by conditional writes, against s3rver behind the stack's conditional-write front.</summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)]
public sealed class AccessGrantsTests : IDisposable
{
    private readonly string _config = $"qtz-cfg-{Guid.NewGuid():N}"[..22];
    private readonly AmazonS3Client _s3 = new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });
    private readonly AmazonS3Client _sdkClient = S3Clients.Create(LocalStack.ConditionalSettings());

    public void Dispose()
    {
        _sdkClient.Dispose();
        _s3.Dispose();
    }

    private AccessGrants Grants => new(_sdkClient, S3Profile.Compatible, NullPublishLog.Instance);

    private async Task<(JsonObject Document, string ETag)> Read()
    {
        using var response = await _s3.GetObjectAsync(_config, AccessGrants.AccessFile);
        using var reader = new StreamReader(response.ResponseStream);
        return (JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject(), response.ETag);
    }

    private static string[] Buckets(JsonObject document, string group) => document[group]!.AsArray().Select(n => (string)n!).Order().ToArray();

    [StackFact]
    public async Task The_stand_in_refuses_a_put_whose_etag_is_stale_as_s3_does()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_config);
        using var conditional = new AmazonS3Client(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config
        {
            ServiceURL = LocalStack.ConditionalS3, ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
        await conditional.PutObjectAsync(new PutObjectRequest { BucketName = _config, Key = "f", ContentBody = "1", IfNoneMatch = "*", UseChunkEncoding = false });
        var again = await Assert.ThrowsAsync<AmazonS3Exception>(() => conditional.PutObjectAsync(new PutObjectRequest { BucketName = _config, Key = "f", ContentBody = "2", IfNoneMatch = "*", UseChunkEncoding = false }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, again.StatusCode);
        var stale = await Assert.ThrowsAsync<AmazonS3Exception>(() => conditional.PutObjectAsync(new PutObjectRequest { BucketName = _config, Key = "f", ContentBody = "3", IfMatch = "\"0000\"", UseChunkEncoding = false }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
    }

    [StackFact]
    public async Task Grant_creates_the_file_keeps_other_groups_and_is_idempotent()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_config);
        Assert.True(await Grants.GrantAsync(_config, "paris-team", "quetzal-paris", default));
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _config, Key = AccessGrants.AccessFile, UseChunkEncoding = false,
            ContentBody = """{"lyon-team":["quetzal-lyon"],"paris-team":["quetzal-paris"]}""" });

        Assert.True(await Grants.GrantAsync(_config, "paris-team", "quetzal-paris-2030", default));
        var (document, etag) = await Read();
        Assert.Equal(["quetzal-lyon"], Buckets(document, "lyon-team"));
        Assert.Equal(["quetzal-paris", "quetzal-paris-2030"], Buckets(document, "paris-team"));

        Assert.False(await Grants.GrantAsync(_config, "paris-team", "quetzal-paris-2030", default));
        Assert.Equal(etag, (await Read()).ETag);

        Assert.True(await Grants.RevokeAsync(_config, "paris-team", "quetzal-paris", default));
        Assert.False(await Grants.RevokeAsync(_config, "paris-team", "quetzal-paris", default));
        Assert.Equal(["quetzal-paris-2030"], Buckets((await Read()).Document, "paris-team"));
    }

    [StackFact]
    public async Task Concurrent_grants_all_land()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_config);
        var buckets = Enumerable.Range(0, 8).Select(i => $"quetzal-model-{i}").ToArray();
        await Task.WhenAll(buckets.Select(b => Task.Run(() => Grants.GrantAsync(_config, "all-models", b, default))));
        Assert.Equal(buckets, Buckets((await Read()).Document, "all-models"));
    }

    [StackFact]
    public async Task A_file_that_is_not_a_group_map_is_a_coded_error_and_is_left_alone()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_config);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _config, Key = AccessGrants.AccessFile, ContentBody = "[1,2]", UseChunkEncoding = false });
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Grants.GrantAsync(_config, "g", "b", default));
        Assert.Equal("QTZ4061", error.Diagnostic.Code);
        using var response = await _s3.GetObjectAsync(_config, AccessGrants.AccessFile);
        Assert.Equal("[1,2]", await new StreamReader(response.ResponseStream).ReadToEndAsync());
    }
}
