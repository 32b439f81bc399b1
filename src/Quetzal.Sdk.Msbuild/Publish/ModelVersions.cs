using System.Globalization;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>What the versions of one deployed model are read and changed for (from the resolved model).</summary>
/// <param name="Fargate">The model has Fargate steps: a rollback makes the version's task definition the family's newest revision again.</param>
public sealed record VersionsRequest(ModelResources Names, bool Fargate, TimeSpan LeaseTimeout, string User, string ModelDirectory)
{
    public TimeSpan LambdaWait { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>One version as QuetzalVersions shows it: its record, whether it is current, how many executions run on it.</summary>
public sealed record VersionRow(ReleaseEntry Entry, bool Current, int Running);

/// <summary>
/// The model's versions (<see cref="ReleaseHistory"/>): listed with what is current and running, and made current
/// again by a rollback that changes pointers only (no image build or push): $LATEST to the version's image tag and
/// settings (what Quenedi shows), for a Fargate model the version's task definition as the family's newest revision
/// (what Quenedi runs), and the state machine to the version's definition, published as a version that records the
/// rollback. A rollback is a release like another: it can be rolled back, or forward, the same way.
/// </summary>
public sealed class ModelVersions(IAwsClients clients, IPublishLog log)
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The model's repository (its URI names the versions' images), and the account it gives.</summary>
    private async Task<(EcrRepository Repository, AwsAccount Account)> RepositoryAsync(VersionsRequest request, CancellationToken cancellation)
    {
        var repository = await clients.Ecr.DescribeRepositoryAsync(request.Names.RepositoryName, cancellation)
            ?? throw new QuetzalException(Codes.RepositoryMissing, request.Names.RepositoryName);
        return (repository, new AwsAccount(clients.Region, repository.RegistryId));
    }

    /// <summary>Every version, newest first; empty when the state machine does not exist yet.</summary>
    public async Task<IReadOnlyList<VersionRow>> ListAsync(VersionsRequest request, CancellationToken cancellation)
    {
        var (_, account) = await RepositoryAsync(request, cancellation);
        var machineArn = account.StateMachineArn(request.Names.StateMachineName);
        var machine = await clients.StepFunctions.TryDescribeStateMachineAsync(machineArn, cancellation);
        if (machine is null) return [];
        var history = ReleaseHistory.ReadAsync(clients.StepFunctions, machineArn, cancellation);
        var running = await ReleaseHistory.RunningAsync(clients.StepFunctions, machineArn, cancellation);
        return (await history).Select(e => new VersionRow(e, e.RevisionId == machine.RevisionId, running.Count(e.Runs))).ToList();
    }

    /// <summary>The table QuetzalVersions prints, newest first.</summary>
    public static IReadOnlyList<string> Table(IReadOnlyList<VersionRow> rows)
    {
        var lines = new List<string> { "  version  made                  by                              commit     image                    runs  what" };
        foreach (var row in rows)
        {
            var release = row.Entry.Release;
            var tag = release?.Tag ?? $"(sm:{row.Entry.VersionNumber})";
            var date = (release?.Date ?? row.Entry.Created).UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
            var image = release?.Image is { } digest ? digest[..Math.Min(digest.Length, 19)] + "…" : "-";
            var what = release is null ? "not published by the SDK" : release.RolledBackFrom is { } from ? from > 0 ? $"rollback from {Release.TagOf(from)}" : "rollback" : "published";
            lines.Add($"{(row.Current ? "*" : " ")} {tag,-8} {date,-21} {Cut(release?.User ?? "-", 31),-31} {release?.Commit ?? "-",-10} {image,-24} {row.Running,4}  {what}");
        }
        return lines;
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    /// <summary>Makes version <paramref name="number"/> current again (or says what it would change); returns the summary lines.</summary>
    public async Task<IReadOnlyList<string>> RollbackAsync(VersionsRequest request, int number, bool dryRun, CancellationToken cancellation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (repository, account) = await RepositoryAsync(request, cancellation);
        var names = request.Names;
        var machineArn = account.StateMachineArn(names.StateMachineName);
        var machine = await clients.StepFunctions.TryDescribeStateMachineAsync(machineArn, cancellation);
        var history = machine is null ? [] : await ReleaseHistory.ReadAsync(clients.StepFunctions, machineArn, cancellation);
        var tag = Release.TagOf(number);
        var entry = history.FirstOrDefault(e => e.Release?.Number == number);
        if (entry is null)
        {
            var known = history.Select(e => e.Release?.Number).OfType<int>().Distinct().OrderDescending().Select(Release.TagOf).ToList();
            throw new QuetzalException(Codes.VersionMissing, names.ModelName, tag,
                known.Count == 0 ? ": it has no versions yet (publish it first)" : $": its versions are {string.Join(", ", known)}");
        }
        var current = history.FirstOrDefault(e => e.RevisionId == machine!.RevisionId);
        if (current is not null && current.Release?.Number == number) return [$"Version: {tag} is current already; nothing to change"];

        // What the version runs must all still be there: checked before anything changes.
        var release = entry.Release!;
        var function = names.FunctionName;
        var lambdaVersion = ReleaseHistory.FunctionVersion(entry.Definition, function);
        FunctionState? pinned = null;
        if (lambdaVersion is not null)
            pinned = await clients.Lambda.GetFunctionVersionAsync(function, lambdaVersion, cancellation)
                ?? throw new QuetzalException(Codes.VersionIncomplete, tag, names.ModelName, $"its Lambda version {function}:{lambdaVersion} is gone");
        if (release.Image is { } digest && !(await clients.Ecr.ListImagesAsync(names.RepositoryName, cancellation)).Contains(digest))
            throw new QuetzalException(Codes.VersionIncomplete, tag, names.ModelName, $"its image {repository.Uri}@{digest} is not in the repository");
        var imageUri = $"{repository.Uri}:{tag}";
        TaskDefinitionState? revision = null;
        var family = Fargate.Family(names.ModelName);
        if (request.Fargate && ReleaseHistory.TaskDefinitions(entry.Definition).FirstOrDefault() is { } revisionArn)
        {
            var newest = await clients.Ecs.DescribeTaskDefinitionAsync(family, cancellation);
            if (newest?.Arn != revisionArn)
            {
                revision = await clients.Ecs.DescribeTaskDefinitionAsync(revisionArn, cancellation);
                if (revision is null || (string?)revision.Definition["status"] is "INACTIVE" or "DELETE_IN_PROGRESS")
                    throw new QuetzalException(Codes.VersionIncomplete, tag, names.ModelName, $"its task definition {revisionArn[(revisionArn.LastIndexOf('/') + 1)..]} is no longer active");
            }
        }

        var from = current?.Release?.Number;
        var record = new Release(number, Time.GetUtcNow(), request.User, release.Commit, release.Image, from ?? 0);
        var fromText = from is null ? "" : $" (current: {Release.TagOf(from.Value)})";
        if (dryRun)
        {
            var plan = new List<string> { $"Version: would make {tag} current{fromText}; nothing is built or pushed" };
            plan.Add($"Lambda: would point {function} at {imageUri}{(pinned is null ? "" : $" with version {lambdaVersion}'s settings")}; runs call version {lambdaVersion ?? "$LATEST"}");
            if (revision is not null) plan.Add($"Task definition: would register a copy of {family}:{revision.Revision} as the family's newest revision");
            plan.Add($"State machine: would take {tag}'s definition and publish it as a version ({record.Describe()})");
            return plan;
        }

        var lines = new List<string>();
        await using var lease = await BucketLease.AcquireAsync(clients.S3, clients.S3Profile, names.BucketName, names.ModelName, request.LeaseTimeout, log, cancellation, Time);
        // $LATEST is what Quenedi reads (the version's tag, the bucket); the state machine calls the version itself.
        var target = new LambdaStep.LambdaTarget(clients.Lambda, function, request.LambdaWait, log);
        var latest = await clients.Lambda.GetFunctionAsync(function, cancellation);
        if (latest?.ImageUri != imageUri)
            await LambdaStep.UpdateAsync(target, f => f.ImageUri == imageUri, () => clients.Lambda.UpdateFunctionCodeAsync(function, imageUri, cancellation), cancellation);
        if (pinned is not null && latest is not null && LambdaStep.Differences(latest.Settings, pinned.Settings).Count > 0)
            await LambdaStep.UpdateAsync(target, f => LambdaStep.Differences(f.Settings, pinned.Settings).Count == 0,
                () => clients.Lambda.UpdateFunctionConfigurationAsync(function, pinned.Settings, cancellation), cancellation);
        lines.Add($"Lambda: {function} on {imageUri}; runs call version {lambdaVersion ?? "$LATEST"}");
        if (revision is not null)
        {
            var copy = new JsonObject();
            foreach (var key in new[] { "family", "taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory", "ephemeralStorage", "runtimePlatform", "containerDefinitions" })
                if (revision.Definition[key] is { } value) copy[key] = value.DeepClone();
            var registered = await clients.Ecs.RegisterTaskDefinitionAsync(copy, cancellation);
            lines.Add($"Task definition: registered {family}:{registered.Revision}, a copy of {family}:{revision.Revision} ({tag})");
        }
        var versionArn = await clients.StepFunctions.UpdateStateMachineAsync(machineArn, entry.Definition, record.Describe(), cancellation);
        lines.Add($"State machine: {names.StateMachineName} runs {tag}'s definition; version {versionArn?[(versionArn.LastIndexOf(':') + 1)..]}");
        lines.Add($"Version: {tag} is current{fromText}, in {clock.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        return lines;
    }

    /// <summary>QuetzalVersion as typed: 12 or v12.</summary>
    public static bool TryParseNumber(string? text, out int number)
    {
        number = 0;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.StartsWith('v') || trimmed.StartsWith('V')) trimmed = trimmed[1..];
        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number > 0;
    }
}
