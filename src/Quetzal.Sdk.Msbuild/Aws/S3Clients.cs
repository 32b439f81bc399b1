using Amazon.Runtime;
using Amazon.S3;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// What differs between AWS S3 and an S3-compatible server (s3rver, MinIO, Ceph, LocalStack), chosen once from the
/// endpoint and consulted where it matters, as the .NET SDK's container publisher keeps its registries' quirks behind
/// one object. What an ETag means is the same for both as far as the publisher is concerned: a file sent in parts is
/// compared with AWS's form (MD5 of the parts' MD5s) and with its plain MD5 (s3rver's), both from one read.
/// </summary>
public sealed record S3Profile
{
    /// <summary>AWS S3: streamed (aws-chunked) bodies with checksums, conditional writes, AWS's multipart ETags.</summary>
    public static readonly S3Profile Aws = new() { Name = "AWS S3", ChunkedBodies = true, ConditionalWritesKnown = true };

    /// <summary>
    /// A custom endpoint: plain bodies and checksums only when required (s3rver, older MinIO and Ceph store aws-chunked
    /// bodies verbatim), and conditional writes tried (answered 501 where unsupported).
    /// </summary>
    public static readonly S3Profile Compatible = new() { Name = "S3-compatible endpoint", ChunkedBodies = false, ConditionalWritesKnown = false };

    public required string Name { get; init; }

    /// <summary>Whether request bodies may be sent aws-chunked with trailing checksums.</summary>
    public required bool ChunkedBodies { get; init; }

    /// <summary>Whether If-None-Match/If-Match on PUT are known to be honoured (else they are tried, and a 501 means no).</summary>
    public required bool ConditionalWritesKnown { get; init; }

    public static S3Profile For(AwsSettings settings) => settings.CustomEndpoint(AwsService.S3) is null ? Aws : Compatible;
}

public static class S3Clients
{
    /// <summary>An S3 client for the settings, configured as the profile says (path-style addressing for custom endpoints).</summary>
    public static AmazonS3Client Create(AwsSettings settings, HttpClientFactory? httpClientFactory = null)
    {
        var endpoint = settings.CustomEndpoint(AwsService.S3);
        // The AWS SDK's standard retry mode: the same classification and backoff as the SDK's own clients (RetryRules).
        var config = new AmazonS3Config { RegionEndpoint = settings.RegionEndpoint, MaxErrorRetry = 5, RetryMode = RequestRetryMode.Standard };
        if (httpClientFactory is not null) config.HttpClientFactory = httpClientFactory;
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
        }
        if (!S3Profile.For(settings).ChunkedBodies)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        return new AmazonS3Client(settings.Credentials(), config);
    }

    /// <summary>The missing bucket, said with the bucket's name where the caller knows it (the error itself does not carry it).</summary>
    public static QuetzalException? BucketMissing(AmazonServiceException e, string bucket)
        => e is AmazonS3Exception { ErrorCode: "NoSuchBucket" } ? new QuetzalException(Codes.BucketMissing, bucket) : null;
}
