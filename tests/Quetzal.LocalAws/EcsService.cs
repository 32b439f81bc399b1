using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>
/// ECS's control plane for task definitions (JSON 1.1, target AmazonEC2ContainerServiceV20141113): revisions per
/// family, ACTIVE until deregistered, with the rules ECS applies to a Fargate registration (awsvpc, a CPU/memory
/// pair Fargate runs, ephemeral storage 21-200 GiB, an execution role for awslogs) and ECS's
/// answers (a ClientException for what it cannot describe).
/// </summary>
internal sealed class EcsService(Settings settings)
{
    public const string TargetPrefix = "AmazonEC2ContainerServiceV20141113.";

    private readonly object _gate = new();
    private readonly Dictionary<string, List<JsonObject>> _families = new(StringComparer.Ordinal);

    private static readonly (int Cpu, int[] Memory)[] FargateSizes =
    [
        (256, [512, 1024, 2048]), (512, Range(1024, 4096, 1024)), (1024, Range(2048, 8192, 1024)), (2048, Range(4096, 16384, 1024)),
        (4096, Range(8192, 30720, 1024)), (8192, Range(16384, 61440, 4096)), (16384, Range(32768, 122880, 8192)),
    ];

    private static int[] Range(int from, int to, int step) => Enumerable.Range(0, (to - from) / step + 1).Select(i => from + i * step).ToArray();

    public IResult Handle(string operation, JsonObject input)
    {
        lock (_gate)
        {
            return operation switch
            {
                "RegisterTaskDefinition" => Json(new JsonObject { ["taskDefinition"] = Register(input).DeepClone() }),
                "DescribeTaskDefinition" => Json(new JsonObject { ["taskDefinition"] = Find((string)input["taskDefinition"]!).DeepClone() }),
                "ListTaskDefinitions" => List(input),
                "DeregisterTaskDefinition" => Json(new JsonObject { ["taskDefinition"] = Deregister((string)input["taskDefinition"]!).DeepClone() }),
                _ => throw new AwsError(400, "UnknownOperationException", operation),
            };
        }
    }

    private JsonObject Register(JsonObject input)
    {
        var family = (string)input["family"]!;
        var fargate = input["requiresCompatibilities"] is JsonArray compatibilities && compatibilities.Any(c => (string?)c == "FARGATE");
        var containers = input["containerDefinitions"]!.AsArray().OfType<JsonObject>().ToList();
        if (containers.Count == 0) throw Client("Container list cannot be empty.");
        if (fargate)
        {
            if ((string?)input["networkMode"] != "awsvpc")
                throw Client("Fargate only supports network mode 'awsvpc'.");
            if (!int.TryParse((string?)input["cpu"], out var cpu) || !int.TryParse((string?)input["memory"], out var memory)
                || !FargateSizes.Any(s => s.Cpu == cpu && s.Memory.Contains(memory)))
                throw Client("No Fargate configuration exists for given values.");
            if (input["ephemeralStorage"]?["sizeInGiB"] is { } storage && (int)storage is < 21 or > 200)
                throw Client("The ephemeral storage size must be between 21 and 200 GiB.");
            var awslogs = containers.Any(c => (string?)c["logConfiguration"]?["logDriver"] == "awslogs");
            if (awslogs && input["executionRoleArn"] is null)
                throw Client("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
        }
        foreach (var container in containers)
        {
            // ECS does not look for the image at registration (a task that cannot pull it stops with CannotPullContainerError).
            if (string.IsNullOrEmpty((string?)container["image"])) throw Client("Container.image should not be null or empty.");
            if (container["logConfiguration"] is JsonObject logs && (string?)logs["logDriver"] == "awslogs"
                && (logs["options"]?["awslogs-group"] is null || logs["options"]?["awslogs-region"] is null))
                throw Client("Log driver awslogs requires options: awslogs-group, awslogs-region.");
        }
        if (!_families.TryGetValue(family, out var revisions)) _families[family] = revisions = new List<JsonObject>();
        var revision = revisions.Count + 1;
        var definition = (JsonObject)input.DeepClone();
        definition.Remove("tags");
        definition["taskDefinitionArn"] = settings.Arn("ecs", $"task-definition/{family}:{revision}");
        definition["revision"] = revision;
        definition["status"] = "ACTIVE";
        definition["compatibilities"] = new JsonArray("EC2", "FARGATE");
        definition["registeredAt"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        // What ECS adds to every container definition it describes.
        foreach (var container in definition["containerDefinitions"]!.AsArray().OfType<JsonObject>())
        {
            container.TryAdd("cpu", 0);
            container.TryAdd("portMappings", new JsonArray());
            container.TryAdd("mountPoints", new JsonArray());
            container.TryAdd("volumesFrom", new JsonArray());
            container.TryAdd("environment", new JsonArray());
        }
        definition.TryAdd("volumes", new JsonArray());
        definition.TryAdd("placementConstraints", new JsonArray());
        revisions.Add(definition);
        return definition;
    }

    /// <summary>A task definition as DescribeTaskDefinition finds it, or null (the executions' RunTask).</summary>
    public JsonObject? Describe(string reference)
    {
        lock (_gate)
        {
            try { return (JsonObject)Find(reference).DeepClone(); }
            catch (AwsError) { return null; }
        }
    }

    /// <summary>A family (its latest ACTIVE revision), family:revision, or an ARN.</summary>
    private JsonObject Find(string reference)
    {
        var name = reference.StartsWith("arn:", StringComparison.Ordinal) ? reference[(reference.IndexOf('/') + 1)..] : reference;
        var colon = name.LastIndexOf(':');
        var family = colon < 0 ? name : name[..colon];
        if (_families.TryGetValue(family, out var revisions))
        {
            if (colon < 0)
            {
                if (revisions.LastOrDefault(r => (string?)r["status"] == "ACTIVE") is { } latest) return latest;
            }
            else if (int.TryParse(name[(colon + 1)..], out var number) && number >= 1 && number <= revisions.Count)
            {
                return revisions[number - 1];
            }
        }
        throw Client("Unable to describe task definition.");
    }

    private JsonObject Deregister(string reference)
    {
        var name = reference.StartsWith("arn:", StringComparison.Ordinal) ? reference[(reference.IndexOf('/') + 1)..] : reference;
        if (!name.Contains(':')) throw new AwsError(400, "InvalidParameterException", "Invalid revision number. Number: " + name);
        var definition = Find(reference);
        definition["status"] = "INACTIVE";
        definition["deregisteredAt"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        return definition;
    }

    private IResult List(JsonObject input)
    {
        var prefix = (string?)input["familyPrefix"] ?? "";
        var status = (string?)input["status"] ?? "ACTIVE";
        var descending = (string?)input["sort"] == "DESC";
        var all = _families.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal)
            .SelectMany(f => f.Value).Where(r => (string?)r["status"] == status).Select(r => (string)r["taskDefinitionArn"]!).ToList();
        if (descending) all.Reverse();
        var start = int.TryParse((string?)input["nextToken"], out var s) ? s : 0;
        var size = Math.Min(settings.PageSize, (int?)input["maxResults"] is int m and > 0 ? m : settings.PageSize);
        var result = new JsonObject { ["taskDefinitionArns"] = new JsonArray(all.Skip(start).Take(size).Select(a => (JsonNode)a).ToArray()) };
        if (start + size < all.Count) result["nextToken"] = (start + size).ToString();
        return Json(result);
    }

    private static AwsError Client(string message) => new(400, "ClientException", message);
}
