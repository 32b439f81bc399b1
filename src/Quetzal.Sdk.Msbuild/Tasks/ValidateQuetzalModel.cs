using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelValidator"/> on the project's settings and items.</summary>
public sealed class ValidateQuetzalModel : FargateSettingsTask
{
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string Region { get; set; } = "";
    public string? BucketName { get; set; }
    public string? RepositoryName { get; set; }
    public string? FunctionName { get; set; }
    public string? StateMachineName { get; set; }
    [Required] public string MemorySize { get; set; } = "";
    [Required] public string Timeout { get; set; } = "";
    [Required] public string StorageSize { get; set; } = "";
    public string? ImageTag { get; set; }
    [Required] public string ScenariosDirectory { get; set; } = "";
    public ITaskItem[] Scenarios { get; set; } = [];
    public ITaskItem[] Networks { get; set; } = [];
    [Required] public string StateMachineFile { get; set; } = "";
    public ITaskItem[] Steps { get; set; } = [];
    public string? LibraryPath { get; set; }
    /// <summary>Where QuetzalGenerateWorkflow writes the workflow made from the steps (validated here, never written).</summary>
    [Required] public string GeneratedStateMachineFile { get; set; } = "";

    /// <summary>Where what each input gave is kept between builds (<see cref="ValidationCache"/>); empty: every input is validated.</summary>
    public string? CacheFile { get; set; }

    /// <summary>Where what validation read is recorded (<see cref="Core.ReadRecord"/>): it runs again only when that, a setting or the SDK changed.</summary>
    public string? RecordFile { get; set; }

    protected override string? ReadRecordFile => RecordFile;

    /// <summary>Nothing validation read changed: its warnings follow, so they stay in the build output and the IDE's error list.</summary>
    protected override void UpToDate(int kept)
        => Log.LogMessage(MessageImportance.Normal, kept == 0 ? "Quetzal: validation skipped (nothing it reads changed)."
            : $"Quetzal: validation skipped (nothing it reads changed); the {kept} findings of the last one follow.");

    protected override void ExecuteCore()
    {
        var model = new ModelSettings
        {
            ModelDirectory = ModelDirectory,
            ModelName = ModelName,
            Region = Region,
            BucketName = NullIfEmpty(BucketName),
            RepositoryName = NullIfEmpty(RepositoryName),
            FunctionName = NullIfEmpty(FunctionName),
            StateMachineName = NullIfEmpty(StateMachineName),
            MemorySize = MemorySize,
            Timeout = Timeout,
            StorageSize = StorageSize,
            ImageTag = NullIfEmpty(ImageTag),
            ScenariosDirectory = ScenariosDirectory,
            Scenarios = Scenarios.Select(s => s.ItemSpec).ToArray(),
            Networks = Networks.Select(n => n.ItemSpec).Distinct().ToArray(),
            StateMachineFile = StateMachineFile,
            Steps = Steps.Select(GenerateQuetzalWorkflow.Step).ToArray(),
            LibraryPath = NullIfEmpty(LibraryPath),
            Fargate = Fargate,
        };
        var cache = NullIfEmpty(CacheFile) is { } cacheFile ? ValidationCache.Load(cacheFile) : ValidationCache.None;
        var diagnostics = ModelValidator.Validate(model, ProjectFile, GeneratedStateMachineFile, Cancellation, cache).Diagnostics;
        cache.Save();
        if (cache.Reused > 0) Log.LogMessage(MessageImportance.Normal, $"Quetzal: {cache.Validated} inputs validated, {cache.Reused} unchanged since the last build (their findings kept)");
        Report(diagnostics);
    }
}
