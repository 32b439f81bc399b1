using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>ECR's control plane (JSON 1.1, target AmazonEC2ContainerRegistry_V20150921): repositories here, images in the stack's registry.</summary>
internal sealed class EcrService(Settings settings, Registry registry)
{
    public const string TargetPrefix = "AmazonEC2ContainerRegistry_V20150921.";

    public ConcurrentDictionary<string, JsonObject> Repositories { get; } = new();

    public IResult Handle(string operation, JsonObject input)
    {
        switch (operation)
        {
            case "GetAuthorizationToken":
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"AWS:{settings.RegistryToken}"));
                return Json(new JsonObject
                {
                    ["authorizationData"] = new JsonArray(new JsonObject
                    {
                        ["authorizationToken"] = token,
                        ["expiresAt"] = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds(),
                        ["proxyEndpoint"] = $"http://{settings.Registry}",
                    }),
                });
            case "ListImages":
            {
                var repositoryName = (string)input["repositoryName"]!;
                if (Repository(repositoryName, create: false) is null)
                    throw new AwsError(400, "RepositoryNotFoundException", $"The repository with name '{repositoryName}' does not exist");
                var tags = registry.Json($"/v2/{repositoryName}/tags/list")?["tags"] as JsonArray ?? [];
                var ids = new JsonArray();
                foreach (var tag in tags.Select(x => (string)x!))
                    if (registry.Digest(repositoryName, tag) is { } digest) ids.Add(new JsonObject { ["imageDigest"] = digest, ["imageTag"] = tag });
                return Json(new JsonObject { ["imageIds"] = ids });
            }
            case "DescribeImages":
            {
                // What `aws ecr describe-images` reads back after a publish: one detail per image (digest), with its tags.
                var repositoryName = (string)input["repositoryName"]!;
                if (Repository(repositoryName, create: false) is null)
                    throw new AwsError(400, "RepositoryNotFoundException", $"The repository with name '{repositoryName}' does not exist in the registry with id '{settings.AccountId}'");
                var tags = (registry.Json($"/v2/{repositoryName}/tags/list")?["tags"] as JsonArray ?? []).Select(x => (string)x!).Order(StringComparer.Ordinal);
                var byDigest = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (var tag in tags)
                    if (registry.Digest(repositoryName, tag) is { } digest)
                        (byDigest.TryGetValue(digest, out var list) ? list : byDigest[digest] = []).Add(tag);
                var wanted = input["imageIds"]?.AsArray().Select(i => ((string?)i!["imageDigest"], (string?)i["imageTag"])).ToList();
                var details = new JsonArray();
                foreach (var (digest, imageTags) in byDigest)
                {
                    if (wanted is not null && !wanted.Any(w => w.Item1 == digest || (w.Item2 is { } t && imageTags.Contains(t)))) continue;
                    details.Add(new JsonObject
                    {
                        ["registryId"] = settings.AccountId, ["repositoryName"] = repositoryName, ["imageDigest"] = digest,
                        ["imageTags"] = new JsonArray(imageTags.Select(t => (JsonNode)t).ToArray()),
                        ["imageManifestMediaType"] = "application/vnd.docker.distribution.manifest.v2+json",
                    });
                }
                if (wanted is not null && details.Count == 0)
                    throw new AwsError(400, "ImageNotFoundException", $"The image with imageId {{{string.Join(", ", wanted.Select(w => w.Item1 is null ? $"imageTag:'{w.Item2}'" : $"imageDigest:'{w.Item1}'"))}}} does not exist within the repository with name '{repositoryName}' in the registry with id '{settings.AccountId}'");
                return Json(new JsonObject { ["imageDetails"] = details });
            }
            case "BatchDeleteImage":
            {
                var repositoryName = (string)input["repositoryName"]!;
                var deleted = new JsonArray();
                var failures = new JsonArray();
                foreach (var id in input["imageIds"]!.AsArray())
                {
                    if (registry.Delete(repositoryName, (string)id!["imageDigest"]!)) deleted.Add(id.DeepClone());
                    else failures.Add(new JsonObject { ["imageId"] = id.DeepClone(), ["failureCode"] = "ImageNotFound", ["failureReason"] = "the registry refused the deletion" });
                }
                return Json(new JsonObject { ["imageIds"] = deleted, ["failures"] = failures });
            }
            case "CreateRepository":
                return Json(new JsonObject { ["repository"] = Repository((string)input["repositoryName"]!, create: true) });
            case "DescribeRepositories":
                var names = input["repositoryNames"]?.AsArray().Select(n => (string)n!).ToArray() ?? Repositories.Keys.ToArray();
                var found = new JsonArray();
                foreach (var name in names)
                    found.Add(Repository(name, create: false) ?? throw new AwsError(400, "RepositoryNotFoundException",
                        $"The repository with name '{name}' does not exist in the registry with id '{settings.AccountId}'"));
                return Json(new JsonObject { ["repositories"] = found });
            default:
                throw new AwsError(400, "UnknownOperationException", operation);
        }
    }

    private JsonObject? Repository(string name, bool create)
    {
        if (create)
            return Repositories.GetOrAdd(name, n => new JsonObject
            {
                ["repositoryName"] = n, ["registryId"] = settings.AccountId,
                ["repositoryArn"] = settings.Arn("ecr", $"repository/{n}"),
                ["repositoryUri"] = $"{settings.Registry}/{n}", ["imageTagMutability"] = "MUTABLE",
                ["createdAt"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            }).DeepClone().AsObject();
        return Repositories.TryGetValue(name, out var found) ? found.DeepClone().AsObject() : null;
    }
}
