using Amazon.Runtime;
using Amazon.S3;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

public static class S3Clients
{
    /// <summary>An S3 client for the settings; with a custom endpoint, path-style addressing and plain (unchunked) bodies.</summary>
    public static AmazonS3Client Create(AwsSettings settings, out bool customEndpoint, HttpClientFactory? httpClientFactory = null)
    {
        var endpoint = settings.CustomEndpoint(AwsService.S3);
        var config = new AmazonS3Config { RegionEndpoint = settings.RegionEndpoint, MaxErrorRetry = 5 };
        if (httpClientFactory is not null) config.HttpClientFactory = httpClientFactory;
        customEndpoint = endpoint is not null;
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
            // S3-compatible servers (s3rver, older MinIO and Ceph) store aws-chunked bodies verbatim: send plain bodies.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        return new AmazonS3Client(settings.Credentials(), config);
    }

    /// <summary>What an S3 error means for any call on the model's bucket, as a coded error; null when it means nothing general.</summary>
    public static QuetzalException? Coded(AmazonServiceException e, string bucket) => e switch
    {
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } => new QuetzalException(Codes.BucketMissing, bucket),
        { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" } => new QuetzalException(Codes.CredentialsRefused, e.ErrorCode, e.Message),
        _ => null,
    };
}
