using Quetzal.Sdk.Container;
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
public sealed class TaskDefinitionStep : PublishStep<TaskDefinitionStep.Plan>, IReleaseStep
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, TaskDefinitionState? Current, Release? Release = null, int Next = 0) : StepPlan(HasWrites, Lines);

    /// <summary>A release registers a revision on its image tag (v12), which Quenedi shows for the newest revision, with MODEL_TAG the same.</summary>
    public StepPlan ForRelease(PublishContext context, StepPlan plan, Release release)
    {
        var task = (Plan)plan;
        var family = Fargate.Family(context.Request.Names.ModelName);
        var next = task.HasWrites ? task.Next : (task.Current?.Revision ?? 0) + 1;
        if (!task.HasWrites && context.Account is not null) context.TaskDefinitionArn = context.Account.TaskDefinitionArn(family, next);
        var line = task.HasWrites ? $"{task.Lines[0].TrimEnd(')')}; image tag {release.Tag})" : $"Task definition: would register {family}:{next} (image tag {release.Tag})";
        return task with { HasWrites = true, Release = release, Lines = [line], Next = next };
    }

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
        if (current is not null && context.ImageUri is not null && Differences(current.Definition, wanted, compareImage: false).Count == 0
            && await SameImageAsync(context, current.Definition, cancellation))
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
        return new Plan(true, [$"Task definition: would register {family}:{next} ({what})"], current, Next: next);
    }

    /// <summary>Whether the revision's image is the one being published: by digest, or by a tag the registry resolves to that digest.</summary>
    private static async Task<bool> SameImageAsync(PublishContext context, JsonObject definition, CancellationToken cancellation)
    {
        var have = (string?)definition["containerDefinitions"]?[0]?["image"];
        var want = context.ImageUri!;
        if (have is null) return false;
        if (have == want) return true;
        var digest = ImageReference.DigestOf(want) ?? want;
        if (have.Contains('@')) return have.EndsWith("@" + digest, StringComparison.Ordinal);
        if (context.RegistryLogin is not { } login || ImageReference.TagOf(have) is not { } tag) return false;
        using var registry = context.Clients.Registry(login);
        var path = context.Repository!.Uri[(context.Repository.Uri.IndexOf('/') + 1)..];
        return have.StartsWith(context.Repository.Uri + ":", StringComparison.Ordinal)
            && (await registry.HeadManifestAsync(path, tag, cancellation))?.Digest == digest;
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var image = plan.Release is { } release ? context.ReleaseImageUri(release) : context.ImageUri!;
        var registered = await context.Clients.Ecs.RegisterTaskDefinitionAsync(Definition(context, image), cancellation);
        context.TaskDefinitionArn = registered.Arn;
        return [$"Task definition: registered {Fargate.Family(context.Request.Names.ModelName)}:{registered.Revision} on {image}"];
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
    /// <param name="compareImage">False: the image and MODEL_TAG (which name the release) are left out; the image is compared by digest elsewhere.</param>
    public static List<string> Differences(JsonObject current, JsonObject wanted, bool compareImage = true)
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
        if (compareImage) Compare("image", have["image"], want["image"]);
        Compare("entry point", have["entryPoint"], want["entryPoint"]);
        Compare("environment", Environment(have, compareImage), Environment(want, compareImage));
        Compare("logs", have["logConfiguration"], want["logConfiguration"]);
        return differences;
    }

    /// <summary>The environment as a sorted object: ECS may give the variables in another order.</summary>
    private static JsonObject Environment(JsonObject container, bool withTag)
        => new((container["environment"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => withTag || (string?)v["name"] != ContainerEnvironment.ModelTag)
            .OrderBy(v => (string?)v["name"], StringComparer.Ordinal)
            .Select(v => KeyValuePair.Create((string)v["name"]!, (JsonNode?)JsonValue.Create((string?)v["value"]))));
}
