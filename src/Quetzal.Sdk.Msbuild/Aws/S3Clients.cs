using Amazon.Runtime;
using Amazon.S3;

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
}
