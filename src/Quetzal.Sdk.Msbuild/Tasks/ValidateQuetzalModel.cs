using Microsoft.Build.Framework;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelValidator"/> on the project's settings and items.</summary>
public sealed class ValidateQuetzalModel : QuetzalTask
{
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    public string Region { get; set; } = "";
    public string? BucketName { get; set; }
    public string? RepositoryName { get; set; }
    public string? FunctionName { get; set; }
    public string? StateMachineName { get; set; }
    public string MemorySize { get; set; } = "";
    public string Timeout { get; set; } = "";
    public string StorageSize { get; set; } = "";
    public string? ImageTag { get; set; }
    public string ScenariosDirectory { get; set; } = "scenarios";
    public ITaskItem[] Scenarios { get; set; } = [];
    public ITaskItem[] Networks { get; set; } = [];
    public string StateMachineFile { get; set; } = "";
    public ITaskItem[] Steps { get; set; } = [];
    public string? LibraryPath { get; set; }
    [Required] public string GeneratedStateMachineFile { get; set; } = "";

    /// <summary>The state machine to deploy: the project's file, or the one generated from the steps.</summary>
    [Output] public string? StateMachinePath { get; set; }

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
            Steps = Steps.Select(s => new Step(s.ItemSpec.Replace('\\', '/'),
                NullIfEmpty(s.GetMetadata("StateName")) ?? LinearWorkflow.DefaultStateName(s.ItemSpec))).ToArray(),
            LibraryPath = NullIfEmpty(LibraryPath),
        };
        var result = ModelValidator.Validate(model, ProjectFile, GeneratedStateMachineFile, Cancellation);
        Report(result.Diagnostics);
        StateMachinePath = result.StateMachinePath;
    }
}
