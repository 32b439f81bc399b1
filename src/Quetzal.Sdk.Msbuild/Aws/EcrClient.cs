using System.Text;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Container;

namespace Quetzal.Sdk.Aws;

public sealed record EcrRepository(string Name, string Uri, string RegistryId);

/// <summary>The ECR operations the SDK calls, named as in the official AWSSDK.ECR client so it can replace this one.</summary>
public interface IAmazonECR
{
    Task<RegistryCredentials> GetAuthorizationTokenAsync(CancellationToken cancellation);
    Task<EcrRepository?> DescribeRepositoryAsync(string name, CancellationToken cancellation);
    Task<IReadOnlyList<string>> ListImagesAsync(string repository, CancellationToken cancellation);
    Task BatchDeleteImageAsync(string repository, IReadOnlyList<string> digests, CancellationToken cancellation);
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

    /// <summary>The digests of every image of the repository, across every page.</summary>
    public async Task<IReadOnlyList<string>> ListImagesAsync(string repository, CancellationToken cancellation)
    {
        var digests = new SortedSet<string>(StringComparer.Ordinal);
        string? next = null;
        do
        {
            var input = new JsonObject { ["repositoryName"] = repository, ["maxResults"] = 1000 };
            if (next is not null) input["nextToken"] = next;
            var page = await _http.PostTargetAsync(Target, "ListImages", input, "1.1", cancellation);
            foreach (var id in page["imageIds"]?.AsArray() ?? [])
                if ((string?)id!["imageDigest"] is { } digest) digests.Add(digest);
            next = (string?)page["nextToken"];
        }
        while (next is not null);
        return digests.ToArray();
    }

    public async Task BatchDeleteImageAsync(string repository, IReadOnlyList<string> digests, CancellationToken cancellation)
    {
        foreach (var batch in digests.Chunk(100))
        {
            var result = await _http.PostTargetAsync(Target, "BatchDeleteImage", new JsonObject
            {
                ["repositoryName"] = repository,
                ["imageIds"] = new JsonArray(batch.Select(d => (JsonNode)new JsonObject { ["imageDigest"] = d }).ToArray()),
            }, "1.1", cancellation);
            // ECR answers per-image failures as data; an image already gone is what the teardown wanted.
            var failures = (result["failures"] as JsonArray ?? []).Where(f => (string?)f?["failureCode"] != "ImageNotFound").ToList();
            if (failures.Count > 0)
                throw new AwsServiceException("ecr", "BatchDeleteImage", 400, (string?)failures[0]!["failureCode"] ?? "Failure", (string?)failures[0]!["failureReason"] ?? "");
        }
    }

    public void Dispose() => _http.Dispose();
}
