using System.Text;
using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

/// <summary>Registry login from ECR's authorization token. Held in memory only: never in a file, a property or a log.</summary>
public sealed record RegistryCredentials(Uri Endpoint, string UserName, string Password)
{
    /// <summary>host[:port], as image names spell it.</summary>
    public string Registry => Endpoint.Authority;

    /// <summary>ToString hides the password, so that no log line or exception message can carry it.</summary>
    public override string ToString() => $"{UserName}@{Registry}";
}

public sealed record EcrRepository(string Name, string Uri, string RegistryId);

/// <summary>The ECR operations the SDK calls, named as in the official AWSSDK.ECR client so it can replace this one.</summary>
public interface IAmazonECR
{
    Task<RegistryCredentials> GetAuthorizationTokenAsync(CancellationToken cancellation);
    Task<EcrRepository?> DescribeRepositoryAsync(string name, CancellationToken cancellation);
}

public sealed class EcrClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonECR, IDisposable
{
    private const string Target = "AmazonEC2ContainerRegistry_V20150921";
    private readonly AwsHttpClient _http = new(settings, AwsService.Ecr, handler);

    public async Task<RegistryCredentials> GetAuthorizationTokenAsync(CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "GetAuthorizationToken", new JsonObject(), "1.1", cancellation);
        var data = result["authorizationData"]!.AsArray()[0]!;
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String((string)data["authorizationToken"]!));
        var colon = decoded.IndexOf(':');
        return new RegistryCredentials(new Uri((string)data["proxyEndpoint"]!), decoded[..colon], decoded[(colon + 1)..]);
    }

    public async Task<EcrRepository?> DescribeRepositoryAsync(string name, CancellationToken cancellation)
    {
        try
        {
            var result = await _http.PostTargetAsync(Target, "DescribeRepositories", new JsonObject { ["repositoryNames"] = new JsonArray(name) }, "1.1", cancellation);
            var repository = result["repositories"]!.AsArray()[0]!;
            return new EcrRepository(name, (string)repository["repositoryUri"]!, (string)repository["registryId"]!);
        }
        catch (AwsServiceException e) when (e.Type == "RepositoryNotFoundException")
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
