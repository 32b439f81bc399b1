using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Publish;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs the <see cref="PublishPipeline"/> on the resolved model: the steps named by <see cref="Steps"/>, or all of them.</summary>
public sealed class PublishQuetzalModel : ModelTask
{
    /// <summary>QuetzalScenarios: restricts a publish to these (in project order, base first).</summary>
    public string? OnlyScenarios { get; set; }
    public bool Prune { get; set; }
    public bool DryRun { get; set; }
    /// <summary>Image;Lambda;TaskDefinition;StateMachine;Scenarios, or empty for all.</summary>
    public string? Steps { get; set; }
    /// <summary>The steps that step targets already published earlier in this build (see <see cref="PublishStepSelection.Compose"/>).</summary>
    public string? StepsRanBefore { get; set; }

    private PublishPipeline? _pipeline;

    protected override void ExecuteCore()
    {
        var model = Resolved;
        var own = PublishStepSelection.Parse(Steps, PublishSteps.All, model.ProjectFile);
        var steps = PublishStepSelection.Compose(own, PublishStepSelection.Parse(StepsRanBefore, PublishSteps.None, model.ProjectFile));
        if (steps != own)
            Info($"Quetzal: {PublishStepSelection.Names(steps & ~own)} published again after {PublishStepSelection.Names(own)}: it ran earlier in this build, and the pipeline puts it after.");

        var request = PublishRequests.From(model, steps, DryRun, Prune, OnlyScenarios);
        using var clients = new AwsClients(new AwsSettings(model.Region, model.Profile), this);
        _pipeline = new PublishPipeline(clients, this);
        Info(DryRun ? $"Quetzal: publish plan for {model.ModelName} (dry run: nothing is written)" : $"Quetzal: publishing {model.ModelName} to {model.Region}");
        using var exclusive = PublishLock.Acquire(model.LockFile, model.ModelName, request.LeaseTimeout, this, Cancellation);
        _pipeline.PublishAsync(request, Cancellation).GetAwaiter().GetResult();
    }

    protected override void Completed(bool failed)
    {
        if (_pipeline is null) return;
        Info("Quetzal publish summary:");
        foreach (var line in _pipeline.Summary) Info("  " + line);
        if (failed) Info("  stopped at the error above; nothing after it was changed. Publishing again resumes from there.");
    }
}
