using Microsoft.Build.Framework;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Publish;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs the <see cref="PublishPipeline"/>: the steps named by <see cref="Steps"/>, or all of them.</summary>
public sealed class PublishQuetzalModel : FargateSettingsTask
{
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string LockFile { get; set; } = "";
    [Required] public int LockTimeout { get; set; }
    /// <summary>The record of the scenario files' contents between publishes (in obj/).</summary>
    public string? DigestsFile { get; set; }
    /// <summary>The record of the image's content tags by the fingerprint of their files (in obj/).</summary>
    public string? ContentTagsFile { get; set; }
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    [Required] public string BucketName { get; set; } = "";
    [Required] public string RepositoryName { get; set; } = "";
    [Required] public string FunctionName { get; set; } = "";
    [Required] public string StateMachineName { get; set; } = "";
    [Required] public int MemorySize { get; set; }
    [Required] public int Timeout { get; set; }
    [Required] public int StorageSize { get; set; }
    [Required] public string StateMachinePath { get; set; } = "";
    [Required] public string ScenariosDirectory { get; set; } = "";
    public ITaskItem[] Scenarios { get; set; } = [];
    /// <summary>QuetzalScenarios: restricts a publish to these (in project order, base first).</summary>
    public string? OnlyScenarios { get; set; }
    [Required] public string HandlerDirectory { get; set; } = "";
    /// <summary>What the SDK writes in the model folder (obj/, bin/, the tfvars for infra/): never put into the image.</summary>
    public ITaskItem[] SdkState { get; set; } = [];
    public string? LibraryPath { get; set; }
    public string? ImageTag { get; set; }
    public bool Prune { get; set; }
    public bool DryRun { get; set; }
    /// <summary>Image;Lambda;TaskDefinition;StateMachine;Scenarios, or empty for all.</summary>
    public string? Steps { get; set; }
    /// <summary>The steps that step targets already published earlier in this build (see <see cref="PublishStepSelection.Compose"/>).</summary>
    public string? StepsRanBefore { get; set; }
    /// <summary>QuetzalUserEmail: who publishes, in every object's metadata and info.json; empty: git's user.email, else user@machine.</summary>
    public string? UserEmail { get; set; }
    /// <summary>The model folder's modelConfig.json and documentation folder, published under _common/ when they exist.</summary>
    public string? ModelConfigFile { get; set; }
    public string? DocsDirectory { get; set; }
    /// <summary>Where lock.json (the protected scenarios) is written before it is published.</summary>
    [Required] public string CommonDirectory { get; set; } = "";
    /// <summary>When set, the request is written there for `dotnet run -- --mode aws` (<see cref="AwsRunSettings"/>), and nothing is published.</summary>
    public string? RequestFile { get; set; }

    private PublishPipeline? _pipeline;

    protected override void ExecuteCore()
    {
        var forRun = NullIfEmpty(RequestFile) is not null;
        var scenarios = Model.Scenarios.Select(Scenarios.Select(s => s.ItemSpec).ToList(), forRun ? null : OnlyScenarios, "QuetzalScenarios");
        var projectFile = BuildEngine?.ProjectFileOfTaskNode;
        var own = PublishStepSelection.Parse(Steps, PublishSteps.All, projectFile);
        var steps = PublishStepSelection.Compose(own, PublishStepSelection.Parse(StepsRanBefore, PublishSteps.None, projectFile));
        if (steps != own && !forRun)
            Info($"Quetzal: {PublishStepSelection.Names(steps & ~own)} published again after {PublishStepSelection.Names(own)}: it ran earlier in this build, and the pipeline puts it after.");

        var fargate = FargateTask(networkRequired: !forRun);
        var request = new PublishRequest
        {
            ModelDirectory = ModelDirectory,
            Names = new ModelResources(ModelName, BucketName, RepositoryName, FunctionName, StateMachineName),
            MemorySize = MemorySize, Timeout = Timeout, EphemeralStorage = StorageSize,
            StateMachinePath = StateMachinePath, ScenariosDirectory = Path.Combine(ModelDirectory, ScenariosDirectory), Scenarios = scenarios,
            HandlerDirectory = HandlerDirectory, SdkState = SdkState.Select(i => i.GetMetadata("FullPath")).ToList(), LibraryPath = NullIfEmpty(LibraryPath) is { } library ? Path.GetFullPath(Path.Combine(ModelDirectory, library)) : null,
            ImageTag = NullIfEmpty(ImageTag), Prune = Prune, DryRun = DryRun, Steps = steps, LeaseTimeout = TimeSpan.FromSeconds(LockTimeout),
            DigestsFile = NullIfEmpty(DigestsFile),
            ContentTagsFile = NullIfEmpty(ContentTagsFile),
            UserEmail = NullIfEmpty(UserEmail) ?? Publisher.DefaultEmail(),
            Descriptions = Scenarios.Where(s => !string.IsNullOrWhiteSpace(s.GetMetadata("Description"))).ToDictionary(s => s.ItemSpec, s => s.GetMetadata("Description")),
            CommonFiles = CommonFiles.Collect(Path.Combine(CommonDirectory, Model.CommonFiles.Lock),
                Scenarios.Where(s => string.Equals(s.GetMetadata("Protected"), "true", StringComparison.OrdinalIgnoreCase)).Select(s => s.ItemSpec),
                NullIfEmpty(ModelConfigFile) is { } config ? Path.Combine(ModelDirectory, config) : null,
                NullIfEmpty(DocsDirectory) is { } docs ? Path.Combine(ModelDirectory, docs) : null,
                fargate is null ? null : WorkflowSteps.Generate(File.ReadAllText(StateMachinePath),
                    WorkflowSteps.Workflows(Path.Combine(ModelDirectory, ScenariosDirectory, Model.Scenarios.Base, "inputs", "params.json")))),
            Fargate = fargate,
        };
        if (forRun)
        {
            new AwsRunSettings(Region, NullIfEmpty(Profile), request).Write(RequestFile!);
            return;
        }
        using var clients = new AwsClients(new AwsSettings(Region, NullIfEmpty(Profile)), this);
        _pipeline = new PublishPipeline(clients, this);
        Info(DryRun ? $"Quetzal: publish plan for {ModelName} (dry run: nothing is written)" : $"Quetzal: publishing {ModelName} to {Region}");
        using var exclusive = PublishLock.Acquire(LockFile, ModelName, TimeSpan.FromSeconds(LockTimeout), this, Cancellation);
        _pipeline.PublishAsync(request, Cancellation).GetAwaiter().GetResult();
    }

    /// <summary>The Fargate task settings, when the workflow has a Fargate step; checked here too (a build may have skipped validation).</summary>
    private FargateTask? FargateTask(bool networkRequired)
    {
        if (Model.Fargate.FirstState(StateMachinePath) is not { } state) return null;
        var settings = Fargate;
        var bag = new DiagnosticBag();
        Model.Fargate.Validate(settings, BuildEngine?.ProjectFileOfTaskNode ?? ModelDirectory, state, bag);
        var errors = bag.Items.Where(d => d.Severity == Severity.Error)
            .Concat(bag.Items.Where(d => networkRequired && d.Descriptor == Codes.FargateNetworkMissing).Select(d => Codes.FargateNetworkRequired.Create(d.File, state))).ToList();
        if (errors.Count > 0) throw new QuetzalException(errors);
        return settings.Parse();
    }

    protected override void Completed(bool failed)
    {
        if (_pipeline is null) return;
        Info("Quetzal publish summary:");
        foreach (var line in _pipeline.Summary) Info("  " + line);
        if (failed) Info("  stopped at the error above; nothing after it was changed. Publishing again resumes from there.");
    }
}
