using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Publish;

/// <summary>The scenario folders in the model's bucket: only files whose content differs go up, base first (see <see cref="ScenarioPublisher"/>).</summary>
public sealed class ScenariosStep : PublishStep<ScenariosStep.Plan>
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, ScenarioPublisher Publisher, IReadOnlyList<ScenarioPlan> Scenarios) : StepPlan(HasWrites, Lines);

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var publisher = new ScenarioPublisher(context.Clients.S3, context.Clients.S3Profile, context.Log)
        {
            Digests = request.DigestsFile is { } digests ? FileDigests.Load(digests) : FileDigests.None(),
            UserEmail = request.UserEmail,
        };
        var scenarios = (await publisher.PlanAsync(request.Names.BucketName, request.ScenariosDirectory, request.Scenarios, request.Prune, cancellation)).ToList();
        // The model's own prefix: what Quenedi reads beside the scenarios (protected scenarios, model config, docs).
        if (request.CommonFiles.Count > 0)
            scenarios.Add(await publisher.PlanFilesAsync(request.Names.BucketName, Model.Scenarios.Common, request.CommonFiles, cancellation));
        context.ScenarioPlans = scenarios;
        // A scenario with nothing to write says what it found; one with writes says what a publish would do, and
        // names every object it would delete.
        var lines = new List<string>();
        foreach (var plan in scenarios)
        {
            lines.Add((plan.HasWrites ? "S3 (plan) " : "S3 ") + plan.Summary);
            lines.AddRange(plan.Files.Where(f => f.Change == FileChange.Deleted).Select(f => $"  would delete s3://{request.Names.BucketName}/{f.Key}"));
        }
        return new Plan(scenarios.Any(p => p.HasWrites), lines, publisher, scenarios);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        await plan.Publisher.ApplyAsync(context.Request.Names.BucketName, plan.Scenarios, cancellation);
        return plan.Scenarios.Select(p => "S3 " + p.Summary).ToList();
    }
}
