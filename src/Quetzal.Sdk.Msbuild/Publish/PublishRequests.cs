using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The publish request of a resolved model (<see cref="ResolvedModel"/>): what `dotnet build -t:Publish` deploys and
/// what `dotnet run -- --mode aws` compares with what is deployed, made one way for both.
/// </summary>
public static class PublishRequests
{
    /// <param name="model">The model the build resolved.</param>
    /// <param name="steps">The steps to publish.</param>
    /// <param name="onlyScenarios">QuetzalScenarios: restricts a publish to these; null: every declared scenario.</param>
    /// <param name="forRun">For `dotnet run -- --mode aws`: a Fargate step's network may be missing (the run reports what AWS says).</param>
    public static PublishRequest From(ResolvedModel model, PublishSteps steps = PublishSteps.All, bool dryRun = false, bool prune = false,
        string? onlyScenarios = null, bool forRun = false)
    {
        var scenarios = Scenarios.Select(model.ScenarioNames, onlyScenarios, "QuetzalScenarios");
        var fargate = FargateTask(model, networkRequired: !forRun);
        return new PublishRequest
        {
            ModelDirectory = model.ModelDirectory,
            Names = model.Resources,
            MemorySize = SettingLimit.LambdaMemory.Parse(model.MemorySize, model.ProjectFile),
            Timeout = SettingLimit.LambdaTimeout.Parse(model.Timeout, model.ProjectFile),
            EphemeralStorage = SettingLimit.LambdaStorage.Parse(model.StorageSize, model.ProjectFile),
            StateMachinePath = model.StateMachinePath, ScenariosDirectory = model.ScenariosPath, Scenarios = scenarios,
            HandlerDirectory = model.HandlerDirectory, SdkState = model.SdkState, LibraryPath = model.LibraryFullPath,
            ImageTag = model.ImageTag, Prune = prune, DryRun = dryRun, Steps = steps,
            LeaseTimeout = LockTimeout(model),
            VersionsToKeep = SettingLimit.VersionsToKeep.Parse(model.VersionsToKeep, model.ProjectFile),
            DigestsFile = model.DigestsFile, ContentTagsFile = model.ContentTagsFile,
            UserEmail = model.UserEmail ?? Publisher.DefaultEmail(),
            Descriptions = model.Scenarios.Where(s => s.Description is not null).ToDictionary(s => s.Name, s => s.Description!),
            CommonFiles = CommonFiles.Collect(Path.Combine(model.CommonDirectory, CommonFiles.Lock),
                model.Scenarios.Where(s => s.Protected).Select(s => s.Name),
                model.ModelConfigFile is { } config ? Path.Combine(model.ModelDirectory, config) : null,
                model.DocsDirectory is { } docs ? Path.Combine(model.ModelDirectory, docs) : null,
                fargate is null ? null : WorkflowSteps.Generate(File.ReadAllText(model.StateMachinePath),
                    WorkflowSteps.Workflows(Path.Combine(model.ScenariosPath, Scenarios.Base, "inputs", "params.json")))),
            Fargate = fargate,
        };
    }

    /// <summary>QuetzalPublishLockTimeout: how long to wait for another publish of the model.</summary>
    public static TimeSpan LockTimeout(ResolvedModel model) => TimeSpan.FromSeconds(SettingLimit.PublishLockTimeout.Parse(model.PublishLockTimeout, model.ProjectFile));

    /// <summary>The Fargate task settings, when the workflow has a Fargate step; checked here too (a build may have skipped validation).</summary>
    private static FargateTask? FargateTask(ResolvedModel model, bool networkRequired)
    {
        if (Fargate.FirstState(model.StateMachinePath) is not { } state) return null;
        var bag = new DiagnosticBag();
        Fargate.Validate(model.Fargate, model.ProjectFile, state, bag);
        var errors = bag.Items.Where(d => d.Severity == Severity.Error)
            .Concat(bag.Items.Where(d => networkRequired && d.Descriptor == Codes.FargateNetworkMissing).Select(d => Codes.FargateNetworkRequired.Create(d.File, state))).ToList();
        if (errors.Count > 0) throw new QuetzalException(errors);
        return model.Fargate.Parse();
    }
}
