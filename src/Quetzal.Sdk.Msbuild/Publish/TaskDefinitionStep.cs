using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The task definition the model's Fargate steps run (family <c>&lt;model&gt;-task</c>): one essential container
/// named after the model, the image by digest started in container mode, the project's CPU, memory and storage,
/// BUCKET_NAME, TIME_LIMIT and MODEL_TAG, awslogs to <c>/aws/ecs/&lt;model&gt;</c>, the roles infra/ creates. A revision
/// is registered only when it differs from the family's latest ACTIVE one; the state machine then names that exact
/// revision. Only for a model with a Fargate step.
/// </summary>
public sealed class TaskDefinitionStep : PublishStep<TaskDefinitionStep.Plan>
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, TaskDefinitionState? Current) : StepPlan(HasWrites, Lines);

    /// <summary>What the image URI is while the image is still to be pushed (a dry run shows it; the apply has the digest).</summary>
    private const string PendingImage = "(the image this publish pushes)";

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var family = Fargate.Family(request.Names.ModelName);
        var account = context.Account;
        if (account is null) return new Plan(false, [$"Task definition: not read ({family}): the account is known once the ECR repository exists"], null);
        var current = await context.Clients.Ecs.DescribeTaskDefinitionAsync(family, cancellation);
        var wanted = Definition(context, context.ImageUri ?? PendingImage);
        if (current is not null && context.ImageUri is not null && Differences(current.Definition, wanted).Count == 0)
        {
            context.TaskDefinitionArn = current.Arn;
            return new Plan(false, [$"Task definition: unchanged ({family}:{current.Revision})"], current);
        }
        var next = (current?.Revision ?? LatestRevision(await context.Clients.Ecs.ListTaskDefinitionsAsync(family, "INACTIVE", cancellation))) + 1;
        context.TaskDefinitionArn = account.TaskDefinitionArn(family, next);
        var task = request.Fargate!;
        var what = current is null
            ? $"cpu {task.Cpu}, memory {task.Memory} MiB, storage {task.Storage} GiB, time limit {task.TimeLimitMinutes} min"
            : string.Join("; ", Differences(current.Definition, wanted).DefaultIfEmpty("image"));
        return new Plan(true, [$"Task definition: would register {family}:{next} ({what})"], current);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var registered = await context.Clients.Ecs.RegisterTaskDefinitionAsync(Definition(context, context.ImageUri!), cancellation);
        context.TaskDefinitionArn = registered.Arn;
        return [$"Task definition: registered {Fargate.Family(context.Request.Names.ModelName)}:{registered.Revision} on {context.ImageUri}"];
    }

    private static int LatestRevision(IReadOnlyList<string> arns)
        => arns.Select(a => int.TryParse(a[(a.LastIndexOf(':') + 1)..], out var r) ? r : 0).DefaultIfEmpty(0).Max();

    /// <summary>The RegisterTaskDefinition request of the model's task.</summary>
    public static JsonObject Definition(PublishContext context, string imageUri)
    {
        var request = context.Request;
        var model = request.Names.ModelName;
        var task = request.Fargate!;
        var account = context.Account!;
        return new JsonObject
        {
            ["family"] = Fargate.Family(model),
            ["taskRoleArn"] = account.RoleArn(ResourceNames.EcsTaskRole(model)),
            ["executionRoleArn"] = account.RoleArn(ResourceNames.EcsExecutionRole(model)),
            ["networkMode"] = "awsvpc",
            ["requiresCompatibilities"] = new JsonArray("FARGATE"),
            ["cpu"] = task.Cpu.ToString(),
            ["memory"] = task.Memory.ToString(),
            ["ephemeralStorage"] = new JsonObject { ["sizeInGiB"] = task.Storage },
            ["runtimePlatform"] = new JsonObject { ["cpuArchitecture"] = "X86_64", ["operatingSystemFamily"] = "LINUX" },
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = Fargate.ContainerName(model),
                ["image"] = imageUri,
                ["essential"] = true,
                ["entryPoint"] = new JsonArray(Fargate.EntryPoint.Select(e => (JsonNode)e).ToArray()),
                ["environment"] = new JsonArray(
                    Variable(ContainerEnvironment.BucketName, request.Names.BucketName),
                    Variable(ContainerEnvironment.TimeLimit, task.TimeLimitMinutes.ToString()),
                    Variable(ContainerEnvironment.ModelTag, context.ModelTag ?? "")),
                ["logConfiguration"] = new JsonObject
                {
                    ["logDriver"] = "awslogs",
                    ["options"] = new JsonObject
                    {
                        ["awslogs-group"] = Fargate.LogGroup(model),
                        ["awslogs-region"] = account.Region,
                        ["awslogs-stream-prefix"] = model,
                    },
                },
            }),
        };
    }

    private static JsonObject Variable(string name, string value) => new() { ["name"] = name, ["value"] = value };

    /// <summary>What differs between a described revision and the wanted request, in the fields the SDK sets (ECS adds others of its own).</summary>
    public static List<string> Differences(JsonObject current, JsonObject wanted)
    {
        var differences = new List<string>();
        void Compare(string label, JsonNode? a, JsonNode? b)
        {
            if (!JsonNode.DeepEquals(a, b)) differences.Add(label);
        }
        Compare("cpu", current["cpu"], wanted["cpu"]);
        Compare("memory", current["memory"], wanted["memory"]);
        Compare("storage", current["ephemeralStorage"]?["sizeInGiB"], wanted["ephemeralStorage"]?["sizeInGiB"]);
        Compare("task role", current["taskRoleArn"], wanted["taskRoleArn"]);
        Compare("execution role", current["executionRoleArn"], wanted["executionRoleArn"]);
        var have = current["containerDefinitions"]?.AsArray().FirstOrDefault() as JsonObject;
        var want = (JsonObject)wanted["containerDefinitions"]![0]!;
        if (have is null)
        {
            differences.Add("container");
            return differences;
        }
        Compare("container name", have["name"], want["name"]);
        Compare("image", have["image"], want["image"]);
        Compare("entry point", have["entryPoint"], want["entryPoint"]);
        Compare("environment", Environment(have), Environment(want));
        Compare("logs", have["logConfiguration"], want["logConfiguration"]);
        return differences;
    }

    /// <summary>The environment as a sorted object: ECS may give the variables in another order.</summary>
    private static JsonObject Environment(JsonObject container)
        => new((container["environment"] as JsonArray ?? []).OfType<JsonObject>()
            .OrderBy(v => (string?)v["name"], StringComparer.Ordinal)
            .Select(v => KeyValuePair.Create((string)v["name"]!, (JsonNode?)JsonValue.Create((string?)v["value"]))));
}
