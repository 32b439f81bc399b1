using Quetzal.Sdk.Core;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Model;

/// <summary>The Fargate settings as the project gives them (QuetzalEcs*): strings, checked by <see cref="Fargate.Validate"/>.</summary>
public sealed record FargateSettings
{
    public string Cpu { get; init; } = Fargate.DefaultCpu.ToString();
    public string Memory { get; init; } = Fargate.DefaultMemory.ToString();
    public string Storage { get; init; } = Fargate.DefaultStorage.ToString();
    public string TimeLimit { get; init; } = Fargate.DefaultTimeLimit.ToString();
    public string? Subnets { get; init; }
    public string? SecurityGroups { get; init; }
    public string? AssignPublicIp { get; init; }

    /// <summary>
    /// The QuetzalEcs* properties as the build resolved them (their defaults are Sdk.targets'; the initializers above
    /// only serve code that builds settings by hand, as tests do).
    /// </summary>
    public static FargateSettings From(string? cpu, string? memory, string? storage, string? timeLimit, string? subnets, string? securityGroups, string? assignPublicIp)
    {
        static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
        return new FargateSettings
        {
            Cpu = cpu ?? "", Memory = memory ?? "", Storage = storage ?? "", TimeLimit = timeLimit ?? "",
            Subnets = Given(subnets), SecurityGroups = Given(securityGroups), AssignPublicIp = Given(assignPublicIp),
        };
    }

    /// <summary>The settings as numbers and lists; only for settings that <see cref="Fargate.Validate"/> accepted.</summary>
    public FargateTask Parse() => new(int.Parse(Cpu.Trim()), int.Parse(Memory.Trim()), int.Parse(Storage.Trim()), int.Parse(TimeLimit.Trim()),
        Fargate.List(Subnets), Fargate.List(SecurityGroups), string.Equals(AssignPublicIp?.Trim(), "true", StringComparison.OrdinalIgnoreCase));
}

/// <summary>What a Fargate task of the model runs with: CPU units, memory (MiB), ephemeral storage (GiB), the step's deadline (minutes), its network.</summary>
public sealed record FargateTask(int Cpu, int Memory, int Storage, int TimeLimitMinutes, IReadOnlyList<string> Subnets, IReadOnlyList<string> SecurityGroups, bool AssignPublicIp)
{
    /// <summary>Step Functions' own deadline for a Fargate state: the container stops itself at the time limit; this catches a task that never started or hung on its upload.</summary>
    public int StateTimeoutSeconds => TimeLimitMinutes * 60 + Fargate.StateTimeoutMargin;
}

/// <summary>
/// Steps that run on ECS Fargate: Fargate's rules for the settings, the names of the model's ECS resources, and the
/// completion of a state machine's Fargate states (a Task whose Resource is <see cref="RunTaskSync"/> and whose
/// Parameters name the step with <c>notebook_path</c>) into the RunTask request Step Functions sends.
/// </summary>
public static partial class Fargate
{
    public const string RunTaskSync = "arn:aws:states:::ecs:runTask.sync";
    public const int DefaultCpu = 1024, DefaultMemory = 4096, DefaultStorage = 21, DefaultTimeLimit = 60;
    public const int MinStorage = 21, MaxStorage = 200, MaxTimeLimit = 10_080;
    public const int StateTimeoutMargin = 600;

    /// <summary>The container's command: the SDK's runner in container mode, from the same image the Lambda runs.</summary>
    public static readonly IReadOnlyList<string> EntryPoint = ["python3", "-m", "quetzal_handler"];

    public static string Family(string model) => $"{model}-task";
    public static string ClusterName(string model) => model;
    public static string ContainerName(string model) => model;
    public static string LogGroup(string model) => $"/aws/ecs/{model}";

    /// <summary>Fargate's CPU (units) and memory (MiB) pairs: for each CPU, the lowest and highest memory and the step between.</summary>
    public static readonly IReadOnlyList<(int Cpu, int Min, int Max, int Step)> Sizes =
    [
        (256, 512, 2048, 512), (512, 1024, 4096, 1024), (1024, 2048, 8192, 1024), (2048, 4096, 16384, 1024),
        (4096, 8192, 30720, 1024), (8192, 16384, 61440, 4096), (16384, 32768, 122880, 8192),
    ];

    /// <summary>The memory sizes Fargate runs with a CPU size, or null when the CPU size is none of Fargate's.</summary>
    public static IReadOnlyList<int>? MemoryFor(int cpu)
    {
        foreach (var (c, min, max, step) in Sizes)
            if (c == cpu)
            {
                var sizes = new List<int>();
                for (var m = min; m <= max; m += step) sizes.Add(m);
                // 0.25 vCPU takes 512, 1024 and 2048 only (its "step" is not a step).
                return cpu == 256 ? [512, 1024, 2048] : sizes;
            }
        return null;
    }

    public static IReadOnlyList<string> List(string? value)
        => (value ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Fargate's rules for the settings; <paramref name="fargateState"/> names a Fargate state when the model has one (then the network is required).</summary>
    public static void Validate(FargateSettings settings, string projectFile, string? fargateState, DiagnosticBag bag)
    {
        var cpuOk = int.TryParse(settings.Cpu.Trim(), out var cpu) && MemoryFor(cpu) is not null;
        var memoryOk = int.TryParse(settings.Memory.Trim(), out var memory);
        if (!cpuOk)
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsCpu", settings.Cpu,
                $"Fargate's CPU sizes are {string.Join(", ", Sizes.Select(s => s.Cpu))} units (1024 = 1 vCPU)");
        else if (!memoryOk || !MemoryFor(cpu)!.Contains(memory))
        {
            var (_, min, max, step) = Sizes.First(s => s.Cpu == cpu);
            var allowed = cpu == 256 ? "512, 1024 or 2048" : $"{min} to {max} in steps of {step}";
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsMemory", settings.Memory,
                $"with QuetzalEcsCpu {cpu} ({cpu / 1024.0:0.##} vCPU), Fargate takes {allowed} MiB");
        }
        if (!SettingLimit.TryParse(settings.Storage, MinStorage, MaxStorage, out _))
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsStorage", settings.Storage, $"Fargate's ephemeral storage is a whole number of GiB from {MinStorage} to {MaxStorage}");
        if (!SettingLimit.TryParse(settings.TimeLimit, 1, MaxTimeLimit, out _))
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsTimeLimit", settings.TimeLimit, $"the step's deadline is a whole number of minutes from 1 to {MaxTimeLimit} (a week)");
        foreach (var subnet in List(settings.Subnets).Where(s => !SubnetPattern().IsMatch(s)))
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsSubnets", subnet, "a subnet is named subnet- and 8 or 17 hexadecimal digits (separate several with ',')");
        foreach (var group in List(settings.SecurityGroups).Where(s => !SecurityGroupPattern().IsMatch(s)))
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsSecurityGroups", group, "a security group is named sg- and 8 or 17 hexadecimal digits (separate several with ',')");
        if (!string.IsNullOrWhiteSpace(settings.AssignPublicIp) && settings.AssignPublicIp.Trim().ToLowerInvariant() is not ("true" or "false"))
            bag.Add(Codes.FargateSize, projectFile, 0, 0, "QuetzalEcsAssignPublicIp", settings.AssignPublicIp, "it is true (public subnets without a NAT gateway) or false");
        if (fargateState is not null && List(settings.Subnets).Count == 0)
            bag.Add(Codes.FargateNetworkMissing, projectFile, 0, 0, fargateState);
    }

    [GeneratedRegex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")]
    private static partial Regex SubnetPattern();

    [GeneratedRegex("^sg-([0-9a-f]{8}|[0-9a-f]{17})$")]
    private static partial Regex SecurityGroupPattern();

    public static bool IsFargateTask(JsonObject state) => (string?)state["Type"] == "Task" && (string?)state["Resource"] == RunTaskSync;

    /// <summary>The Fargate states of a state machine (Parallel branches and Map processors included), with the step each runs (null: a state the user wrote in full).</summary>
    public static IEnumerable<(string State, string? NotebookPath)> States(JsonObject machine)
        => StateMachineTree.AllStates(machine).Where(s => IsFargateTask(s.State))
            .Select(s => (s.Name, (string?)(s.State["Parameters"] as JsonObject)?["notebook_path"]));

    /// <summary>Whether a state machine file runs any step on Fargate (false for a file that is not JSON: validation says why).</summary>
    public static bool UsesFargate(string stateMachinePath) => FirstState(stateMachinePath) is not null;

    /// <summary>The first Fargate state of a state machine file, or null (no file, not JSON, no Fargate state).</summary>
    public static string? FirstState(string stateMachinePath)
    {
        try
        {
            return ModelFiles.Exists(stateMachinePath) && JsonNode.Parse(ModelFiles.ReadAllText(stateMachinePath)) is JsonObject machine
                ? States(machine).Select(s => s.State).FirstOrDefault() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// The state machine with every Fargate state that names its step (<c>notebook_path</c>) completed into the RunTask
    /// request: the model's cluster and task definition revision, FARGATE, the network, the container's environment
    /// for this step and scenario, and (unless the state says) its result dropped so that the state passes its input
    /// on, as a Lambda step returns its event. What the state already sets is kept.
    /// </summary>
    public static string Complete(string definition, FargateDeployment deployment)
    {
        var machine = JsonNode.Parse(definition) as JsonObject;
        if (machine is null || !States(machine).Any(s => s.NotebookPath is not null)) return definition;
        foreach (var (name, state) in StateMachineTree.AllStates(machine).ToList())
            if (IsFargateTask(state) && state["Parameters"] is JsonObject parameters && (string?)parameters["notebook_path"] is { } notebook)
                CompleteState(name, state, parameters, notebook, deployment);
        return machine.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static void CompleteState(string name, JsonObject state, JsonObject parameters, string notebook, FargateDeployment d)
    {
        parameters.Remove("notebook_path");
        parameters.TryAdd("Cluster", d.ClusterArn);
        parameters.TryAdd("TaskDefinition", d.TaskDefinitionArn);
        if (!parameters.ContainsKey("CapacityProviderStrategy")) parameters.TryAdd("LaunchType", "FARGATE");
        parameters.TryAdd("NetworkConfiguration", new JsonObject
        {
            ["AwsvpcConfiguration"] = new JsonObject
            {
                ["Subnets"] = new JsonArray(d.Task.Subnets.Select(s => (JsonNode)s).ToArray()),
                ["SecurityGroups"] = new JsonArray(d.Task.SecurityGroups.Select(s => (JsonNode)s).ToArray()),
                ["AssignPublicIp"] = d.Task.AssignPublicIp ? "ENABLED" : "DISABLED",
            },
        });
        if (d.Task.SecurityGroups.Count == 0) ((JsonObject)parameters["NetworkConfiguration"]!["AwsvpcConfiguration"]!).Remove("SecurityGroups");
        var overrides = parameters["Overrides"] as JsonObject ?? new JsonObject();
        parameters["Overrides"] = overrides;
        var containers = overrides["ContainerOverrides"] as JsonArray ?? new JsonArray();
        overrides["ContainerOverrides"] = containers;
        var container = containers.OfType<JsonObject>().FirstOrDefault(c => (string?)c["Name"] == d.ContainerName);
        if (container is null) containers.Add(container = new JsonObject { ["Name"] = d.ContainerName });
        var environment = container["Environment"] as JsonArray ?? new JsonArray();
        container["Environment"] = environment;
        void Set(string key, string field, string value)
        {
            if (environment.OfType<JsonObject>().Any(e => (string?)e["Name"] == key)) return;
            environment.Add(new JsonObject { ["Name"] = key, [field] = value });
        }
        Set(ContainerEnvironment.Steps, "Value", StepsJson([new StepEntry(name, notebook)]));
        Set(ContainerEnvironment.ScenarioPath, "Value.$", "$.scenario_path_S3");
        Set(ContainerEnvironment.LauncherArg, "Value.$", "States.JsonToString($.launcher_arg)");
        Set(ContainerEnvironment.Metadata, "Value.$", "States.JsonToString($.metadata)");
        if (!state.ContainsKey("ResultPath") && !state.ContainsKey("ResultSelector") && !state.ContainsKey("OutputPath")) state["ResultPath"] = null;
        state.TryAdd("TimeoutSeconds", d.Task.StateTimeoutSeconds);
    }

    /// <summary>The <c>steps</c> variable of today's backend: a JSON list of <c>{name, path}</c>.</summary>
    public static string StepsJson(IEnumerable<StepEntry> steps)
        => new JsonArray(steps.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["path"] = s.Path }).ToArray()).ToJsonString();
}

/// <summary>A step as today's backend lists it (steps.json, the container's <c>steps</c> variable).</summary>
public sealed record StepEntry(string Name, string Path);

/// <summary>What a Fargate state runs on once deployed: the cluster, the exact task definition revision, the container, the task settings.</summary>
public sealed record FargateDeployment(string ClusterArn, string TaskDefinitionArn, string ContainerName, FargateTask Task);

/// <summary>The container's environment: today's backend's contract (its API starts tasks with these overrides).</summary>
public static class ContainerEnvironment
{
    public const string Steps = "steps";
    public const string ScenarioPath = "scenario_path";
    public const string LauncherArg = "launcher_arg";
    public const string Variants = "variants";
    public const string Metadata = "metadata";
    public const string BucketName = "BUCKET_NAME";
    public const string TimeLimit = "TIME_LIMIT";
    public const string ModelTag = "MODEL_TAG";
}
