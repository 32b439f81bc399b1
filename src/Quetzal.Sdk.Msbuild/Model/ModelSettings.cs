namespace Quetzal.Sdk.Model;

/// <summary>A workflow step declared with a QuetzalStep item: the script or notebook it runs and its state name.</summary>
public sealed record Step(string NotebookPath, string StateName, string Compute = Step.Lambda)
{
    public const string Lambda = "lambda";
    public const string Ecs = "ecs";
    [System.Text.Json.Serialization.JsonIgnore] public bool OnFargate => Compute == Ecs;
}

/// <summary>
/// The model as the project declares it, free of MSBuild types. Values are as the project gives them (strings where a
/// user may type anything); their defaults live in Sdk.targets only.
/// </summary>
public sealed record ModelSettings
{
    public required string ModelDirectory { get; init; }
    public required string ModelName { get; init; }
    public required string Region { get; init; }
    /// <summary>A derived resource name, or null when it is the model name.</summary>
    public string? BucketName { get; init; }
    public string? RepositoryName { get; init; }
    public string? FunctionName { get; init; }
    public string? StateMachineName { get; init; }
    public required string MemorySize { get; init; }
    public required string Timeout { get; init; }
    public required string StorageSize { get; init; }
    public string? ImageTag { get; init; }
    public required string ScenariosDirectory { get; init; }
    public required IReadOnlyList<string> Scenarios { get; init; }
    public required IReadOnlyList<string> Networks { get; init; }
    /// <summary>The project's state machine file, relative to the model folder (it may not exist: then the steps make one).</summary>
    public required string StateMachineFile { get; init; }
    public IReadOnlyList<Step> Steps { get; init; } = [];
    public string? LibraryPath { get; init; }
    /// <summary>The Fargate settings (QuetzalEcs*), checked whatever the workflow, required only when a step runs on Fargate.</summary>
    public FargateSettings Fargate { get; init; } = new();

    public string ScenarioDirectory(string scenario) => Path.Combine(ModelDirectory, ScenariosDirectory, scenario);
    public string StateMachinePath => Path.Combine(ModelDirectory, StateMachineFile);
}

public static class Network
{
    public const string Pt = "pt";
    public const string Road = "road";
    public static readonly IReadOnlyList<string> All = [Pt, Road];

    /// <summary>The inputs Quenedi reads from every scenario, relative to the scenario folder.</summary>
    public static IEnumerable<string> RequiredInputs(IEnumerable<string> networks)
    {
        foreach (var network in networks)
        {
            yield return NodesFile(network);
            yield return LinksFile(network);
        }
        yield return ParamsFile;
    }

    public static string NodesFile(string network) => $"inputs/{network}/nodes.geojson";
    public static string LinksFile(string network) => $"inputs/{network}/links.geojson";
    public const string ParamsFile = "inputs/params.json";
}
