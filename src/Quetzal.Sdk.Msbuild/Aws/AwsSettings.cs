using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// Credentials, region and endpoints, resolved as the AWS SDKs and CLI do: the default credential chain
/// (environment, shared profile incl. SSO, container and instance roles) unless a profile is named, and
/// AWS_ENDPOINT_URL_&lt;SERVICE&gt; / AWS_ENDPOINT_URL for custom endpoints (LocalStack, the local test stack).
/// </summary>
public sealed class AwsSettings
{
    private readonly Func<string, string?> _environment;

    /// <param name="credentials">Given credentials (tests); null resolves them from the profile or the default chain.</param>
    public AwsSettings(string region, string? profile, Func<string, string?>? environment = null, AWSCredentials? credentials = null)
    {
        Region = region;
        Profile = string.IsNullOrWhiteSpace(profile) ? null : profile;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _credentials = credentials;
    }

    public string Region { get; }
    public string? Profile { get; }
    public RegionEndpoint RegionEndpoint => RegionEndpoint.GetBySystemName(Region);

    /// <summary>The endpoint of a service: its own variable, then the global one, then AWS's public endpoint.</summary>
    public Uri Endpoint(AwsService service)
    {
        var custom = CustomEndpoint(service);
        return custom ?? new Uri($"https://{service.Host}.{Region}.amazonaws.com{(Region.StartsWith("cn-", StringComparison.Ordinal) ? ".cn" : "")}");
    }

    /// <summary>A configured endpoint, or null for AWS's own.</summary>
    public Uri? CustomEndpoint(AwsService service)
    {
        if (string.Equals(_environment("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase)) return null;
        var value = _environment($"AWS_ENDPOINT_URL_{service.EnvironmentSuffix}") ?? _environment("AWS_ENDPOINT_URL");
        if (string.IsNullOrWhiteSpace(value)) return null;
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri
            : throw new QuetzalException(Codes.InvalidEndpoint, $"AWS_ENDPOINT_URL_{service.EnvironmentSuffix}", value);
    }

    private AWSCredentials? _credentials;

    /// <summary>The credentials to sign with; a missing or unusable source is one coded error that says how to fix it.</summary>
    public AWSCredentials Credentials()
    {
        if (_credentials is not null) return _credentials;
        try
        {
            if (Profile is not null)
            {
                if (!new CredentialProfileStoreChain().TryGetAWSCredentials(Profile, out var fromProfile))
                    throw new QuetzalException(Codes.NoCredentials, $"the profile '{Profile}' (QuetzalAwsProfile) is not in ~/.aws/config or ~/.aws/credentials");
                return _credentials = fromProfile;
            }
            var credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(new AmazonS3Config { RegionEndpoint = RegionEndpoint });
            return _credentials = credentials ?? throw new QuetzalException(Codes.NoCredentials, "no source of the default chain gave credentials");
        }
        catch (AmazonClientException e)
        {
            // The chain lists each source on its own line: one line reads better in an error list.
            var reasons = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            throw new QuetzalException(Codes.NoCredentials, string.Join(" ", reasons).TrimEnd('.'));
        }
    }
}

public sealed record AwsService(string SigningName, string Host, string EnvironmentSuffix)
{
    public static readonly AwsService Ecr = new("ecr", "api.ecr", "ECR");
    public static readonly AwsService Lambda = new("lambda", "lambda", "LAMBDA");
    public static readonly AwsService StepFunctions = new("states", "states", "SFN");
    public static readonly AwsService S3 = new("s3", "s3", "S3");
    public static readonly AwsService Ecs = new("ecs", "ecs", "ECS");
}
