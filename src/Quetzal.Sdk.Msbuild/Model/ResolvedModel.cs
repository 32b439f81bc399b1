using System.Text.Json;
using System.Text.Json.Serialization;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Model;

/// <summary>A scenario the project declares (a QuetzalScenario item), with what its metadata says.</summary>
public sealed record ScenarioItem(string Name, string? Description = null, bool Protected = false);

/// <summary>
/// The model, resolved once per build by QuetzalResolveModel into obj/quetzal/model.json: every setting with its
/// default applied (the defaults are Sdk.targets', and only there), the scenarios, networks and steps the items
/// declare, the state machine that is deployed and run (the project's file, else the generated one), what goes into
/// the image, and where the SDK keeps its state. Validation, publish, teardown, the tfvars, import, access and the
/// three modes of `dotnet run` read this document and nothing else of the project; a task's own parameters are only
/// what is its alone (a dry run, a confirmation, the steps to publish).
/// Values a user types that the SDK checks (sizes, limits, lists) stay as typed: validation reports them, with the
/// property's name, where the project gives them.
/// </summary>
public sealed record ResolvedModel
{
    public const string FileName = "model.json";
    /// <summary>The document's shape; a document of another shape is written again by the next build.</summary>
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    // The project.
    public required string ProjectFile { get; init; }
    public required string ModelDirectory { get; init; }
    /// <summary>The SDK's state for this model (obj/quetzal/), absolute.</summary>
    public required string IntermediateDirectory { get; init; }

    // Names and the account.
    public required string ModelName { get; init; }
    public required string Region { get; init; }
    public string? Profile { get; init; }
    public required string BucketName { get; init; }
    public required string RepositoryName { get; init; }
    public required string FunctionName { get; init; }
    public required string StateMachineName { get; init; }

    // The Lambda function, as typed (QuetzalLambdaMemorySize, QuetzalLambdaTimeout, QuetzalLambdaStorageSize).
    public required string MemorySize { get; init; }
    public required string Timeout { get; init; }
    public required string StorageSize { get; init; }

    // The image.
    public required string BaseImage { get; init; }
    public string? ImageTag { get; init; }
    /// <summary>QuetzalLibraryPath as typed (relative to the model folder), or null.</summary>
    public string? LibraryPath { get; init; }
    /// <summary>QuetzalSystemPackages and QuetzalImageEnvironment as typed (see <c>Container.ImageAdditions</c>), or null.</summary>
    public string? SystemPackages { get; init; }
    public string? ImageEnvironment { get; init; }
    public required string HandlerDirectory { get; init; }
    /// <summary>What the SDK writes in the model folder (obj/, bin/, the tfvars), absolute: never in an image.</summary>
    public IReadOnlyList<string> SdkState { get; init; } = [];

    // The workflow.
    /// <summary>QuetzalStateMachineFile, relative to the model folder (it may not exist: then the steps make one).</summary>
    public required string StateMachineFile { get; init; }
    /// <summary>The workflow that publish deploys and dotnet run runs: the project's file, else the generated one.</summary>
    public required string StateMachinePath { get; init; }
    public required string GeneratedStateMachineFile { get; init; }
    public IReadOnlyList<Step> Steps { get; init; } = [];
    public FargateSettings Fargate { get; init; } = new();

    // The scenarios.
    /// <summary>QuetzalScenariosDirectory, relative to the model folder.</summary>
    public required string ScenariosDirectory { get; init; }
    public IReadOnlyList<ScenarioItem> Scenarios { get; init; } = [];
    public IReadOnlyList<string> Networks { get; init; } = [];
    /// <summary>The model's modelConfig.json and documentation folder (relative), published under _common/ when they exist.</summary>
    public string? ModelConfigFile { get; init; }
    public string? DocsDirectory { get; init; }

    // Publish.
    /// <summary>QuetzalUserEmail; null: git's user.email, else user@machine (asked when needed).</summary>
    public string? UserEmail { get; init; }
    /// <summary>QuetzalPublishLockTimeout as typed: seconds.</summary>
    public required string PublishLockTimeout { get; init; }
    /// <summary>QuetzalVersionsToKeep as typed: how many model versions a publish keeps.</summary>
    public string VersionsToKeep { get; init; } = "10";
    public required string ConfigBucket { get; init; }

    // infra/.
    public required string InfraDirectory { get; init; }
    public required string TfvarsFile { get; init; }
    public string? CorsOrigins { get; init; }
    public required string EcrImagesToKeep { get; init; }
    public string? IdentityPoolId { get; init; }
    public string? UserPoolId { get; init; }
    public string? CostTags { get; init; }
    public string? TerraformStateBucket { get; init; }

    // dotnet run.
    public required string RunScenario { get; init; }
    public required string RunMode { get; init; }
    public required string Python { get; init; }
    /// <summary>The run folder (bin/quetzal-run/), absolute.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>The names of the model's AWS resources, as publish deploys them and `dotnet run` renders the workflow's placeholders.</summary>
    [JsonIgnore] public ModelResources Resources => new(ModelName, BucketName, RepositoryName, FunctionName, StateMachineName);
    [JsonIgnore] public string ScenariosPath => Path.GetFullPath(Path.Combine(ModelDirectory, ScenariosDirectory));
    [JsonIgnore] public IReadOnlyList<string> ScenarioNames => Scenarios.Select(s => s.Name).ToList();
    [JsonIgnore] public string? LibraryFullPath => LibraryPath is null ? null : Path.GetFullPath(Path.Combine(ModelDirectory, LibraryPath));
    [JsonIgnore] public string LockFile => Path.Combine(IntermediateDirectory, "publish.lock");
    [JsonIgnore] public string DigestsFile => Path.Combine(IntermediateDirectory, "scenario-digests.tsv");
    [JsonIgnore] public string ContentTagsFile => Path.Combine(IntermediateDirectory, "content-tags.tsv");
    [JsonIgnore] public string CommonDirectory => Path.Combine(IntermediateDirectory, "common");

    /// <summary>The model as validation sees it.</summary>
    [JsonIgnore]
    public ModelSettings Settings => new()
    {
        ModelDirectory = ModelDirectory, ModelName = ModelName, Region = Region,
        BucketName = BucketName, RepositoryName = RepositoryName, FunctionName = FunctionName, StateMachineName = StateMachineName,
        MemorySize = MemorySize, Timeout = Timeout, StorageSize = StorageSize, ImageTag = ImageTag,
        ScenariosDirectory = ScenariosDirectory, Scenarios = ScenarioNames, Networks = Networks.Distinct().ToList(),
        StateMachineFile = StateMachineFile, Steps = Steps, LibraryPath = LibraryPath, Fargate = Fargate,
    };

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    /// <summary>Writes the document when it differs: its write time then says when the model's settings last changed.</summary>
    public bool Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return Core.GeneratedFiles.WriteIfChanged(path, ToJson());
    }

    /// <summary>The document the build wrote, for `dotnet run` (the build's own tasks get its text from the build, see ModelTask).</summary>
    public static ResolvedModel Read(string path)
    {
        string text;
        try
        {
            text = Core.ModelFiles.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e.Message);
        }
        return Parse(text, path);
    }

    public static ResolvedModel Parse(string text, string path)
    {
        try
        {
            var model = JsonSerializer.Deserialize<ResolvedModel>(text, Options) ?? throw new JsonException("the document is empty");
            if (model.Format != CurrentFormat) throw new JsonException($"it is of format {model.Format}, this SDK reads {CurrentFormat}");
            return model;
        }
        catch (JsonException e)
        {
            throw Unreadable(path, e.Message);
        }
    }

    private static QuetzalException Unreadable(string path, string why)
        => new(Codes.ResolvedModelUnreadable.Create(path, path, why));
}
