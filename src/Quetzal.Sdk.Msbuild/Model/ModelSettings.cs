namespace Quetzal.Sdk.Model;

/// <summary>A workflow step declared with a QuetzalStep item: the script or notebook it runs and its state name.</summary>
public sealed record Step(string NotebookPath, string StateName);

/// <summary>The model as the project declares it, free of MSBuild types.</summary>
public sealed record ModelSettings
{
    public required string ModelDirectory { get; init; }
    public required string ModelName { get; init; }
    public string Region { get; init; } = "ca-central-1";
    public string? BucketName { get; init; }
    public string? RepositoryName { get; init; }
    public string? FunctionName { get; init; }
    public string? StateMachineName { get; init; }
    public string MemorySize { get; init; } = "4016";
    public string Timeout { get; init; } = "300";
    public string StorageSize { get; init; } = "4016";
    public string? ImageTag { get; init; }
    public string ScenariosDirectory { get; init; } = "scenarios";
    public IReadOnlyList<string> Scenarios { get; init; } = [];
    public IReadOnlyList<string> Networks { get; init; } = Network.All;
    public string StateMachineFile { get; init; } = "step-functions.json";
    public IReadOnlyList<Step> Steps { get; init; } = [];
    public string? LibraryPath { get; init; }

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
