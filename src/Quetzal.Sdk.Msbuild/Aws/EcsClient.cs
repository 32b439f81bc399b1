using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

/// <summary>A task definition revision as ECS describes it: its ARN, revision and the whole description (the RegisterTaskDefinition shape).</summary>
public sealed record TaskDefinitionState(string Arn, int Revision, JsonObject Definition);

/// <summary>The ECS operations the SDK calls, named as in the official AWSSDK.ECS client.</summary>
public interface IAmazonECS
{
    /// <summary>DescribeTaskDefinition of a family (its latest ACTIVE revision) or an ARN; null when there is none.</summary>
    Task<TaskDefinitionState?> DescribeTaskDefinitionAsync(string familyOrArn, CancellationToken cancellation);
    /// <summary>RegisterTaskDefinition: the new revision.</summary>
    Task<TaskDefinitionState> RegisterTaskDefinitionAsync(JsonObject definition, CancellationToken cancellation);
    /// <summary>The ARNs of a family's revisions with a status (ACTIVE or INACTIVE), oldest first: every page.</summary>
    Task<IReadOnlyList<string>> ListTaskDefinitionsAsync(string family, string status, CancellationToken cancellation);
    Task DeregisterTaskDefinitionAsync(string arn, CancellationToken cancellation);
}

/// <summary>ECS's control plane: JSON 1.1, target AmazonEC2ContainerServiceV20141113, signed for "ecs".</summary>
public sealed class EcsClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonECS, IDisposable
{
    private const string Target = "AmazonEC2ContainerServiceV20141113";
    private readonly AwsHttpClient _http = new(settings, AwsService.Ecs, handler);

    public async Task<TaskDefinitionState?> DescribeTaskDefinitionAsync(string familyOrArn, CancellationToken cancellation)
    {
        try
        {
            var result = await _http.PostTargetAsync(Target, "DescribeTaskDefinition", new JsonObject { ["taskDefinition"] = familyOrArn }, "1.1", cancellation);
            return Parse(result["taskDefinition"]!.AsObject());
        }
        // ECS's answer for a family with no ACTIVE revision (or an unknown ARN): a ClientException, not a NotFound.
        catch (AwsServiceException e) when (e.Type == "ClientException" && e.AwsMessage.Contains("Unable to describe task definition", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
    }

    public async Task<TaskDefinitionState> RegisterTaskDefinitionAsync(JsonObject definition, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "RegisterTaskDefinition", (JsonObject)definition.DeepClone(), "1.1", cancellation);
        return Parse(result["taskDefinition"]!.AsObject());
    }

    public async Task<IReadOnlyList<string>> ListTaskDefinitionsAsync(string family, string status, CancellationToken cancellation)
    {
        var arns = new List<string>();
        string? next = null;
        do
        {
            var input = new JsonObject { ["familyPrefix"] = family, ["status"] = status, ["sort"] = "ASC", ["maxResults"] = 100 };
            if (next is not null) input["nextToken"] = next;
            var page = await _http.PostTargetAsync(Target, "ListTaskDefinitions", input, "1.1", cancellation);
            // familyPrefix is a prefix: "model-task" also lists "model-task-old".
            arns.AddRange((page["taskDefinitionArns"] as JsonArray ?? []).Select(a => (string)a!).Where(a => FamilyOf(a) == family));
            next = (string?)page["nextToken"];
        }
        while (next is not null);
        return arns;
    }

    public Task DeregisterTaskDefinitionAsync(string arn, CancellationToken cancellation)
        => _http.PostTargetAsync(Target, "DeregisterTaskDefinition", new JsonObject { ["taskDefinition"] = arn }, "1.1", cancellation);

    /// <summary>The family of a task definition ARN (…:task-definition/family:revision).</summary>
    public static string FamilyOf(string arn)
    {
        var name = arn[(arn.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        return colon < 0 ? name : name[..colon];
    }

    private static TaskDefinitionState Parse(JsonObject definition)
        => new((string)definition["taskDefinitionArn"]!, (int)definition["revision"]!, definition);

    public void Dispose() => _http.Dispose();
}
