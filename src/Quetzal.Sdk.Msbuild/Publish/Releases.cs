using System.Globalization;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// A model version: what one publish (or a rollback) made current. Its number is the image tag Quenedi shows
/// (<c>v12</c>); the rest is who made it, from which commit, and which image. It is kept where AWS keeps the deployment
/// itself: the description of the state machine version the publish published (256 characters at most), so that the
/// history cannot drift from what is deployed and needs no store of its own.
/// </summary>
/// <param name="RolledBackFrom">For a rollback: the version that was current before it (0: none the SDK recorded).</param>
public sealed partial record Release(int Number, DateTimeOffset Date, string User, string? Commit, string? Image, int? RolledBackFrom = null)
{
    /// <summary>The image tag of the version (what Quenedi shows as the model version).</summary>
    public string Tag => TagOf(Number);

    public static string TagOf(int number) => $"v{number.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The state machine version's description: "v12 published 2026-12-07T05:42:41Z by a@b; commit 1a2b3c4; image sha256:…".</summary>
    public string Describe()
    {
        var user = Regex.Replace(User, @"[;\s]+", "_");
        if (user.Length > 64) user = user[..64];
        var what = RolledBackFrom is { } from ? from > 0 ? $"rollback from {TagOf(from)}" : "rollback" : "published";
        var text = $"{Tag} {what} {Date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} by {user}";
        if (Commit is not null) text += $"; commit {Commit}";
        if (Image is not null) text += $"; image {Image}";
        return text;
    }

    /// <summary>The release a description records, or null for one the SDK did not write.</summary>
    public static Release? Parse(string? description)
    {
        if (description is null || DescriptionPattern().Match(description) is not { Success: true } m) return null;
        return new Release(int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(m.Groups["date"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            m.Groups["user"].Value, m.Groups["commit"].Success ? m.Groups["commit"].Value : null, m.Groups["image"].Success ? m.Groups["image"].Value : null,
            m.Groups["from"].Success ? int.Parse(m.Groups["from"].Value, CultureInfo.InvariantCulture) : m.Groups["rollback"].Success ? 0 : null);
    }

    [GeneratedRegex(@"^v(?<n>\d+) (?:published|(?<rollback>rollback)(?: from v(?<from>\d+))?) (?<date>\S+) by (?<user>[^;]*?)(?:; commit (?<commit>[^;]+))?(?:; image (?<image>sha256:[0-9a-f]{64}))?$")]
    private static partial Regex DescriptionPattern();
}

/// <summary>One state machine version of the model: the release it records (null for a version the SDK did not publish), and what it runs.</summary>
public sealed record ReleaseEntry(Release? Release, string VersionArn, string Definition, string? RevisionId, DateTimeOffset Created)
{
    /// <summary>The state machine version's number (the last field of its ARN).</summary>
    public int VersionNumber => int.TryParse(VersionArn[(VersionArn.LastIndexOf(':') + 1)..], out var n) ? n : 0;

    /// <summary>Whether an execution runs this version: by its revision, or by its definition when it has none (started before any update).</summary>
    public bool Runs(StateMachineState execution) => execution.RevisionId is not null ? execution.RevisionId == RevisionId : execution.Definition == Definition;
}

/// <summary>The model's releases as the state machine's versions record them, and what each one's definition names.</summary>
public static partial class ReleaseHistory
{
    /// <summary>Every version of the state machine, newest first, each described (in parallel, a few at a time).</summary>
    public static async Task<IReadOnlyList<ReleaseEntry>> ReadAsync(IAmazonStepFunctions stepFunctions, string stateMachineArn, CancellationToken cancellation)
    {
        var versions = await stepFunctions.ListStateMachineVersionsAsync(stateMachineArn, cancellation);
        var entries = new ReleaseEntry[versions.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, versions.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellation }, async (i, token) =>
        {
            var described = await stepFunctions.DescribeStateMachineAsync(versions[i].VersionArn, token);
            entries[i] = new ReleaseEntry(Release.Parse(described.Description), versions[i].VersionArn, described.Definition, described.RevisionId, described.CreationDate ?? versions[i].Created);
        });
        return entries.OrderByDescending(e => e.VersionNumber).ToList();
    }

    /// <summary>The state machine each RUNNING execution runs (DescribeStateMachineForExecution: its definition and revision), a few read at a time.</summary>
    public static async Task<IReadOnlyList<StateMachineState>> RunningAsync(IAmazonStepFunctions stepFunctions, string machineArn, CancellationToken cancellation)
    {
        var executions = await stepFunctions.ListExecutionsAsync(machineArn, "RUNNING", cancellation);
        var described = new StateMachineState?[executions.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, executions.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellation }, async (i, token) =>
        {
            // An execution that ended between the list and the read runs nothing.
            try { described[i] = await stepFunctions.DescribeStateMachineForExecutionAsync(executions[i], token); }
            catch (AwsServiceException e) when (e.Type == "ExecutionDoesNotExist") { }
        });
        return described.OfType<StateMachineState>().ToList();
    }

    /// <summary>The number the next release takes: one more than any the history (or the registry's version tags) has used.</summary>
    public static int NextNumber(IEnumerable<ReleaseEntry> history) => history.Select(e => e.Release?.Number ?? 0).DefaultIfEmpty(0).Max() + 1;

    /// <summary>The Lambda version a definition's Tasks call on the function (the qualifier of its ARN), or null when they call it unqualified or not at all.</summary>
    public static string? FunctionVersion(string definition, string functionName)
    {
        var match = Regex.Match(definition, $@":function:{Regex.Escape(functionName)}:(\d+)\b");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>The task definition revisions (ARNs) a definition's Fargate states name.</summary>
    public static IReadOnlyList<string> TaskDefinitions(string definition)
        => TaskDefinitionPattern().Matches(definition).Select(m => m.Value).Distinct().ToList();

    [GeneratedRegex(@"arn:[a-z-]+:ecs:[a-z0-9-]+:\d+:task-definition/[A-Za-z0-9_-]+:\d+")]
    private static partial Regex TaskDefinitionPattern();

    /// <summary>The commit of the model's folder: git's short hash, with "+" when files differ from it; null outside git (or without git).</summary>
    public static string? Commit(string directory)
    {
        var hash = Publisher.Git(directory, "rev-parse --short HEAD", 10_000);
        if (hash is null) return null;
        var changes = Publisher.Git(directory, "status --porcelain --untracked-files=no", 10_000);
        return changes is { Length: > 0 } ? hash + "+" : hash;
    }
}
