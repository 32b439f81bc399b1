using Microsoft.Build.Framework;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelPublisher"/>: the steps named by <see cref="Steps"/>, or all of them.</summary>
public sealed class PublishQuetzalModel : QuetzalTask
{
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string LockFile { get; set; } = "";
    public int LockTimeout { get; set; } = 600;
    /// <summary>The record of the scenario files' contents between publishes (in obj/).</summary>
    public string? DigestsFile { get; set; }
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    [Required] public string BucketName { get; set; } = "";
    [Required] public string RepositoryName { get; set; } = "";
    [Required] public string FunctionName { get; set; } = "";
    [Required] public string StateMachineName { get; set; } = "";
    [Required] public string MemorySize { get; set; } = "";
    [Required] public string Timeout { get; set; } = "";
    [Required] public string StorageSize { get; set; } = "";
    [Required] public string StateMachinePath { get; set; } = "";
    [Required] public string ScenariosDirectory { get; set; } = "";
    public ITaskItem[] Scenarios { get; set; } = [];
    /// <summary>QuetzalScenarios: restricts a publish to these (in project order, base first).</summary>
    public string? OnlyScenarios { get; set; }
    [Required] public string HandlerDirectory { get; set; } = "";
    public string? LibraryPath { get; set; }
    public string? ImageTag { get; set; }
    public bool Prune { get; set; }
    public bool DryRun { get; set; }
    /// <summary>Image;Lambda;StateMachine;Scenarios, or empty for all.</summary>
    public string? Steps { get; set; }

    protected override void ExecuteCore()
    {
        var declared = Scenarios.Select(s => s.ItemSpec).ToList();
        var scenarios = Model.Scenarios.Ordered(declared);
        if (!string.IsNullOrWhiteSpace(OnlyScenarios))
        {
            var only = OnlyScenarios.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var name in only.Where(n => !declared.Contains(n)))
                throw new QuetzalException(Codes.ScenarioFolderMissing, name, Path.Combine(ScenariosDirectory, name));
            scenarios = scenarios.Where(only.Contains).ToList();
        }
        var steps = string.IsNullOrWhiteSpace(Steps) ? PublishSteps.All
            : Steps.Split(';', StringSplitOptions.RemoveEmptyEntries).Aggregate(PublishSteps.None, (all, s) => all | Enum.Parse<PublishSteps>(s.Trim(), ignoreCase: true));

        var request = new PublishRequest
        {
            ModelDirectory = ModelDirectory, ModelName = ModelName, BucketName = BucketName, RepositoryName = RepositoryName,
            FunctionName = FunctionName, StateMachineName = StateMachineName,
            MemorySize = int.Parse(MemorySize), Timeout = int.Parse(Timeout), EphemeralStorage = int.Parse(StorageSize),
            StateMachinePath = StateMachinePath, ScenariosDirectory = Path.Combine(ModelDirectory, ScenariosDirectory), Scenarios = scenarios,
            HandlerDirectory = HandlerDirectory, LibraryPath = NullIfEmpty(LibraryPath) is { } library ? Path.GetFullPath(Path.Combine(ModelDirectory, library)) : null,
            ImageTag = NullIfEmpty(ImageTag), Prune = Prune, DryRun = DryRun, Steps = steps, LeaseTimeout = TimeSpan.FromSeconds(LockTimeout),
            DigestsFile = NullIfEmpty(DigestsFile),
        };
        var publisher = new ModelPublisher(new AwsSettings(Region, NullIfEmpty(Profile)), this);
        Info(DryRun ? $"Quetzal: publish plan for {ModelName} (dry run: nothing is written)" : $"Quetzal: publishing {ModelName} to {Region}");
        try
        {
            using var exclusive = PublishLock.Acquire(LockFile, ModelName, TimeSpan.FromSeconds(LockTimeout), this, Cancellation);
            publisher.PublishAsync(request, Cancellation).GetAwaiter().GetResult();
        }
        catch (QuetzalException e)
        {
            Report(e.Diagnostic);
        }
        Info("Quetzal publish summary:");
        foreach (var line in publisher.Summary) Info("  " + line);
        if (Log.HasLoggedErrors) Info("  stopped at the error above; nothing after it was changed. Publishing again resumes from there.");
    }

}
