using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// What a publish keeps of the model's versions (QuetzalVersionsToKeep): the newest N releases, the current one and
/// every one a running execution uses. An older release is removed whole: its state machine version, then the Lambda
/// version, task definition revision and image it named, each only when no kept release (and no running execution)
/// names it too. State machine versions the SDK did not publish are left alone.
/// </summary>
public static class Retention
{
    public sealed record Outcome(IReadOnlyList<ReleaseEntry> Removed, int LambdaVersions, int Revisions, int Images);

    /// <summary>Which versions to remove: those outside the newest <paramref name="keep"/> release numbers, not current, not running.</summary>
    /// <param name="running">What the running executions run (<see cref="ReleaseHistory.RunningAsync"/>): a version is kept when one runs it, by revision or by definition.</param>
    public static IReadOnlyList<ReleaseEntry> Select(IReadOnlyList<ReleaseEntry> history, int keep, string? currentRevision, IReadOnlyList<StateMachineState> running)
    {
        var numbers = history.Where(e => e.Release is not null).Select(e => e.Release!.Number).Distinct().OrderDescending().Take(keep).ToHashSet();
        return history.Where(e => e.Release is { } release && !numbers.Contains(release.Number)
            && !(e.RevisionId is not null && e.RevisionId == currentRevision)
            && !running.Any(r => e.Runs(r) || r.Definition == e.Definition)).ToList();
    }

    public static async Task<Outcome> ApplyAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var clients = context.Clients;
        var machineArn = context.Account!.StateMachineArn(request.Names.StateMachineName);
        var history = await ReleaseHistory.ReadAsync(clients.StepFunctions, machineArn, cancellation);
        var current = (await clients.StepFunctions.DescribeStateMachineAsync(machineArn, cancellation)).RevisionId;
        var running = await ReleaseHistory.RunningAsync(clients.StepFunctions, machineArn, cancellation);
        var removed = Select(history, request.VersionsToKeep, current, running);
        if (removed.Count == 0) return new Outcome([], 0, 0, 0);
        var kept = history.Except(removed).Select(e => e.Definition).Concat(running.Select(r => r.Definition)).ToList();

        foreach (var entry in removed) await clients.StepFunctions.DeleteStateMachineVersionAsync(entry.VersionArn, cancellation);

        var function = request.Names.FunctionName;
        var keptFunctions = kept.Select(d => ReleaseHistory.FunctionVersion(d, function)).OfType<string>().ToHashSet();
        var lambdaVersions = 0;
        foreach (var version in removed.Select(e => ReleaseHistory.FunctionVersion(e.Definition, function)).OfType<string>().Distinct().Where(v => !keptFunctions.Contains(v)))
            if (await clients.Lambda.DeleteFunctionVersionAsync(function, version, cancellation)) lambdaVersions++;

        var revisions = 0;
        if (request.Fargate is not null)
        {
            var keptRevisions = kept.SelectMany(ReleaseHistory.TaskDefinitions).ToHashSet();
            var active = await clients.Ecs.ListTaskDefinitionsAsync(Fargate.Family(request.Names.ModelName), "ACTIVE", cancellation);
            // The family's newest revision is what Quenedi runs: never deregistered here.
            var newest = active.LastOrDefault();
            foreach (var arn in removed.SelectMany(e => ReleaseHistory.TaskDefinitions(e.Definition)).Distinct().Where(a => !keptRevisions.Contains(a) && active.Contains(a) && a != newest))
            {
                await clients.Ecs.DeregisterTaskDefinitionAsync(arn, cancellation);
                revisions++;
            }
        }

        var keptImages = history.Except(removed).Select(e => e.Release?.Image).OfType<string>().ToHashSet();
        var images = removed.Select(e => e.Release!.Image).OfType<string>().Distinct().Where(d => !keptImages.Contains(d)).ToList();
        if (images.Count > 0)
        {
            var present = (await clients.Ecr.ListImagesAsync(request.Names.RepositoryName, cancellation)).ToHashSet();
            images = images.Where(present.Contains).ToList();
            if (images.Count > 0) await clients.Ecr.BatchDeleteImageAsync(request.Names.RepositoryName, images, cancellation);
        }
        return new Outcome(removed, lambdaVersions, revisions, images.Count);
    }
}
