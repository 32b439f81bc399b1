using Microsoft.Build.Framework;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>
/// Writes the model, resolved, into obj/quetzal/model.json (<see cref="ResolvedModel"/>): the one place where the
/// project's properties and items become the settings every other task and `dotnet run` read. Its parameters are the
/// properties after Sdk.targets gave each its default; it reads no file, so it runs on every build in microseconds, and
/// writes the document only when it changed.
/// </summary>
public sealed class ResolveQuetzalModel : QuetzalTask
{
    [Required] public string File { get; set; } = "";

    /// <summary>The document, for the tasks of this build (see <see cref="ModelTask"/>).</summary>
    [Output] public string Document { get; private set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    public string? BucketName { get; set; }
    public string? RepositoryName { get; set; }
    public string? FunctionName { get; set; }
    public string? StateMachineName { get; set; }
    public string? MemorySize { get; set; }
    public string? Timeout { get; set; }
    public string? StorageSize { get; set; }
    public string? BaseImage { get; set; }
    public string? ImageTag { get; set; }
    public string? LibraryPath { get; set; }
    [Required] public string HandlerDirectory { get; set; } = "";
    public ITaskItem[] SdkState { get; set; } = [];
    [Required] public string StateMachineFile { get; set; } = "";
    [Required] public string StateMachinePath { get; set; } = "";
    [Required] public string GeneratedStateMachineFile { get; set; } = "";
    public ITaskItem[] Steps { get; set; } = [];
    public string? EcsCpu { get; set; }
    public string? EcsMemory { get; set; }
    public string? EcsStorage { get; set; }
    public string? EcsTimeLimit { get; set; }
    public string? EcsSubnets { get; set; }
    public string? EcsSecurityGroups { get; set; }
    public string? EcsAssignPublicIp { get; set; }
    [Required] public string ScenariosDirectory { get; set; } = "";
    public ITaskItem[] Scenarios { get; set; } = [];
    public ITaskItem[] Networks { get; set; } = [];
    public string? ModelConfigFile { get; set; }
    public string? DocsDirectory { get; set; }
    public string? UserEmail { get; set; }
    public string? PublishLockTimeout { get; set; }
    public string? ConfigBucket { get; set; }
    public string? InfraDirectory { get; set; }
    public string? TfvarsFile { get; set; }
    public string? CorsOrigins { get; set; }
    public string? EcrImagesToKeep { get; set; }
    public string? IdentityPoolId { get; set; }
    public string? UserPoolId { get; set; }
    public string? CostTags { get; set; }
    public string? TerraformStateBucket { get; set; }
    public string? RunScenario { get; set; }
    public string? RunMode { get; set; }
    public string? Python { get; set; }
    public string? RunDirectory { get; set; }

    protected override void ExecuteCore()
    {
        var model = new ResolvedModel
        {
            ProjectFile = ProjectFile, ModelDirectory = ModelDirectory, IntermediateDirectory = IntermediateDirectory,
            ModelName = ModelName, Region = Region, Profile = NullIfEmpty(Profile),
            BucketName = BucketName ?? "", RepositoryName = RepositoryName ?? "", FunctionName = FunctionName ?? "", StateMachineName = StateMachineName ?? "",
            MemorySize = MemorySize ?? "", Timeout = Timeout ?? "", StorageSize = StorageSize ?? "",
            BaseImage = BaseImage ?? "", ImageTag = NullIfEmpty(ImageTag), LibraryPath = NullIfEmpty(LibraryPath),
            HandlerDirectory = HandlerDirectory, SdkState = SdkState.Select(i => i.GetMetadata("FullPath")).ToList(),
            StateMachineFile = StateMachineFile, StateMachinePath = StateMachinePath, GeneratedStateMachineFile = GeneratedStateMachineFile,
            Steps = Steps.Select(GenerateQuetzalWorkflow.Step).ToList(),
            Fargate = FargateSettings.From(EcsCpu, EcsMemory, EcsStorage, EcsTimeLimit, EcsSubnets, EcsSecurityGroups, EcsAssignPublicIp),
            ScenariosDirectory = ScenariosDirectory,
            Scenarios = Scenarios.Select(s => new ScenarioItem(s.ItemSpec, NullIfEmpty(s.GetMetadata("Description")?.Trim()),
                string.Equals(s.GetMetadata("Protected")?.Trim(), "true", StringComparison.OrdinalIgnoreCase))).ToList(),
            Networks = Networks.Select(n => n.ItemSpec).ToList(),
            ModelConfigFile = NullIfEmpty(ModelConfigFile), DocsDirectory = NullIfEmpty(DocsDirectory),
            UserEmail = NullIfEmpty(UserEmail), PublishLockTimeout = PublishLockTimeout ?? "", ConfigBucket = ConfigBucket ?? "",
            InfraDirectory = InfraDirectory ?? "", TfvarsFile = TfvarsFile ?? "", CorsOrigins = NullIfEmpty(CorsOrigins),
            EcrImagesToKeep = EcrImagesToKeep ?? "", IdentityPoolId = NullIfEmpty(IdentityPoolId), UserPoolId = NullIfEmpty(UserPoolId),
            CostTags = NullIfEmpty(CostTags), TerraformStateBucket = NullIfEmpty(TerraformStateBucket),
            RunScenario = RunScenario ?? "", RunMode = RunMode ?? "", Python = Python ?? "", RunDirectory = RunDirectory ?? "",
        };
        Document = model.ToJson();
        if (model.Write(File)) Log.LogMessage(MessageImportance.Normal, $"Quetzal: wrote {File}");
    }
}
