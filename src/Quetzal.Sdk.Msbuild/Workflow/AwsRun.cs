using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Boundary;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Publish;

namespace Quetzal.Sdk.Workflow;

public sealed record AwsRunOptions
{
    /// <summary>The model the build resolved: the run compares what a publish of it would deploy with what is deployed.</summary>
    public required ResolvedModel Model { get; init; }
    public required IReadOnlyList<string> Scenarios { get; init; }
    public string? Input { get; init; }
    public string Workflow { get; init; } = Validation.ParamsValidator.DefaultWorkflow;
    /// <summary>Where the run folder's bucket is (bin/quetzal-run/bucket): the results land at the keys the local modes write.</summary>
    public required string BucketDirectory { get; init; }
    /// <summary>Follow this execution (started earlier, e.g. before --detach) instead of starting one.</summary>
    public string? Follow { get; init; }
    /// <summary>Ctrl+C leaves the executions running (and says how to follow them) instead of asking whether to stop them.</summary>
    public bool Detach { get; init; }
    /// <summary>Run even when what is deployed differs from the folder.</summary>
    public bool AllowStale { get; init; }
    /// <summary>How long between two reads of an execution's history, at first (it grows to 5 s while nothing happens).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// `dotnet run -- --mode aws`: the deployed state machine run on AWS, one execution per scenario, concurrently. Before
/// it starts, a publish's dry-run plan says whether what is deployed is what the folder holds (else it stops, unless
/// --allow-stale). Each execution is followed from its history (newest pages first, only new events, polling with
/// backoff): states as they start and end, a step's log when it ends (its tail; in full on failure). A successful
/// execution's results (outputs/, logs/, info.json) are downloaded where the local modes write them; a table ends the run.
/// </summary>
public sealed class AwsRun(AwsRunOptions options, TextWriter console, Func<string?>? ask = null)
{
    private const int LogTailLines = 20;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();

    private IReadOnlyList<Publish.ReleaseEntry>? _history;

    /// <summary>" on v12": the model version an execution runs (the state machine version with its revision), or nothing when unknown.</summary>
    private async Task<string> VersionAsync(AwsClients clients, string machineArn, string executionArn, CancellationToken cancellation)
    {
        try
        {
            var running = await clients.StepFunctions.DescribeStateMachineForExecutionAsync(executionArn, cancellation);
            _history ??= await Publish.ReleaseHistory.ReadAsync(clients.StepFunctions, machineArn, cancellation);
            var entry = _history.FirstOrDefault(e => e.Runs(running));
            return entry?.Release is { } release ? $" on {release.Tag}" : "";
        }
        catch (AwsServiceException)
        {
            return "";
        }
    }

    private sealed record Run(string Scenario, string Arn)
    {
        public string Status { get; set; } = "RUNNING";
        public TimeSpan Duration { get; set; }
        public string? FailedState { get; set; }
        public string? Error { get; set; }
        public string? Cause { get; set; }
    }

    public async Task<int> ExecuteAsync(CancellationToken cancellation)
    {
        var runs = new List<Run>();
        try
        {
            var model = options.Model;
            var request = PublishRequests.From(model, forRun: true);
            using var clients = new AwsClients(new AwsSettings(model.Region, model.Profile), new ConsoleLog(this));
            var account = await AccountAsync(clients, request, cancellation);
            var machineArn = account.StateMachineArn(request.Names.StateMachineName);
            var logKeys = StepLogs(request.StateMachinePath);

            if (options.Follow is { } followed)
            {
                var execution = await clients.StepFunctions.DescribeExecutionAsync(followed, cancellation);
                var input = JsonNode.Parse(execution.Input ?? "{}");
                runs.Add(new Run(ScenarioOf(input) ?? execution.Name, followed));
                Say($"Quetzal: following {execution.Name} ({execution.Status}){await VersionAsync(clients, machineArn, followed, cancellation)}");
            }
            else
            {
                var scenarios = options.Scenarios.Count == 0 ? [Model.Scenarios.Base] : options.Scenarios.Distinct().ToList();
                foreach (var scenario in scenarios)
                    if (Model.Scenarios.Find(request.Scenarios, scenario) is null)
                        throw new QuetzalException(Codes.UnknownScenario, scenario, string.Join(", ", request.Scenarios));
                scenarios = scenarios.Select(s => Model.Scenarios.Find(request.Scenarios, s)!).ToList();
                if (!options.AllowStale) await CheckDeployedAsync(clients, request, scenarios, cancellation);
                var who = request.UserEmail ?? Publisher.DefaultEmail();
                Say($"Quetzal: running {request.Names.ModelName} on AWS ({model.Region}): {string.Join(", ", scenarios)}");
                foreach (var scenario in scenarios)
                {
                    var input = LocalRun.Input(options.Input, request.ScenariosDirectory, scenario, options.Workflow, who);
                    var name = ExecutionName(scenario, who);
                    var arn = await clients.StepFunctions.StartExecutionAsync(machineArn, name, input.ToJsonString(), cancellation);
                    runs.Add(new Run(scenario, arn));
                    Say($"  started {name}{await VersionAsync(clients, machineArn, arn, cancellation)}");
                    Say($"    follow it again with: dotnet run -- --mode aws --follow {arn}");
                }
            }

            try
            {
                await Task.WhenAll(runs.Select(r => FollowAsync(clients, request, r, runs.Count > 1, logKeys, cancellation)));
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return await InterruptedAsync(clients, runs);
            }
            return Summary(runs);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            foreach (var d in Failures.Describe(e, "The AWS run", cancellation.IsCancellationRequested)) Say(d.ToString());
            return 1;
        }
        catch (OperationCanceledException)
        {
            Say("Quetzal: cancelled before any execution started.");
            return 130;
        }
    }

    /// <summary>The account: the caller's (the ARNs of the model's resources carry it); read from the function, which a publish created.</summary>
    private static async Task<AwsAccount> AccountAsync(IAwsClients clients, PublishRequest request, CancellationToken cancellation)
    {
        var function = await clients.Lambda.GetFunctionAsync(request.Names.FunctionName, cancellation)
            ?? throw new QuetzalException(Codes.NotDeployed, request.Names.ModelName, $"its Lambda function {request.Names.FunctionName} does not exist");
        return new AwsAccount(clients.Region, AwsAccount.AccountOf(function.Arn)!);
    }

    /// <summary>What a publish would change, for the scenarios run: nothing, or the run stops saying what differs.</summary>
    private async Task CheckDeployedAsync(IAwsClients clients, PublishRequest request, IReadOnlyList<string> scenarios, CancellationToken cancellation)
    {
        Say("Quetzal: checking that what is deployed is what this folder holds (a publish's dry run)");
        var check = request with { DryRun = true, Scenarios = scenarios, Steps = PublishSteps.All };
        var context = new PublishContext(check, clients, new ConsoleLog(this, quiet: true));
        var plans = await new PublishPipeline(clients, new ConsoleLog(this, quiet: true)).PlanAsync(context, cancellation);
        var differences = plans.Where(p => p.Plan.HasWrites).SelectMany(p => p.Plan.Lines).ToList();
        if (differences.Count > 0)
            throw new QuetzalException(Codes.DeploymentStale, request.Names.ModelName, string.Join("; ", differences));
    }

    private static string ExecutionName(string scenario, string who)
    {
        static string Clean(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        var user = Clean(who.Split('@')[0]);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
        var id = Guid.NewGuid().ToString("N")[..6];
        var tail = $"-{stamp}-{(user.Length > 20 ? user[..20] : user)}-{id}";
        var head = Clean(scenario);
        return (head.Length + tail.Length > 80 ? head[..(80 - tail.Length)] : head) + tail;
    }

    private static string? ScenarioOf(JsonNode? input)
        => (string?)input?["scenario_path_S3"] is { } prefix ? prefix.TrimEnd('/') : null;

    /// <summary>Each step state's log key under its scenario: a Lambda step's is its file's name, a Fargate step's its state's name.</summary>
    private static Dictionary<string, string> StepLogs(string stateMachinePath)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(stateMachinePath) && JsonNode.Parse(File.ReadAllText(stateMachinePath)) is JsonObject machine)
                foreach (var (name, state) in StateMachineTree.AllStates(machine))
                    if (WorkflowSteps.NotebookPath(state["Parameters"]) is { } path)
                        keys[name] = Fargate.IsFargateTask(state) ? $"logs/{name}.txt" : $"logs/{Path.GetFileNameWithoutExtension(path)}.txt";
        }
        catch (JsonException) { }
        return keys;
    }

    /// <summary>Follows one execution to its end: new events only, newest pages read first, polling with backoff.</summary>
    private async Task FollowAsync(IAwsClients clients, PublishRequest request, Run run, bool several, Dictionary<string, string> logKeys, CancellationToken cancellation)
    {
        var prefix = several ? $"[{run.Scenario}] " : "";
        long seen = 0;
        var entered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        string? lastEntered = null;
        var delay = options.PollInterval;
        var bucket = request.Names.BucketName;
        while (true)
        {
            var fresh = new List<JsonObject>();
            string? token = null;
            do
            {
                var page = await clients.StepFunctions.GetExecutionHistoryAsync(run.Arn, token, reverseOrder: true, cancellation);
                var newer = page.Events.Where(e => (long?)e["id"] > seen).ToList();
                fresh.AddRange(newer);
                token = newer.Count == page.Events.Count ? page.NextToken : null;
            }
            while (token is not null);
            fresh.Reverse();
            foreach (var e in fresh)
            {
                seen = Math.Max(seen, (long?)e["id"] ?? seen);
                var type = (string)e["type"]!;
                var at = StepFunctionsClient.Date(e["timestamp"]) ?? DateTimeOffset.UtcNow;
                if (type.EndsWith("StateEntered", StringComparison.Ordinal))
                {
                    var name = (string)e["stateEnteredEventDetails"]!["name"]!;
                    entered[name] = at;
                    lastEntered = name;
                    Say($"{prefix}[{_clock.Elapsed:mm\\:ss\\.f}] > {name} ({type[..^"StateEntered".Length]})");
                }
                else if (type.EndsWith("StateExited", StringComparison.Ordinal))
                {
                    var name = (string)e["stateExitedEventDetails"]!["name"]!;
                    var took = entered.TryGetValue(name, out var start) ? (at - start).TotalSeconds : 0;
                    Say($"{prefix}[{_clock.Elapsed:mm\\:ss\\.f}] < {name} ({type[..^"StateExited".Length]}) {took:0.0} s");
                    if (logKeys.TryGetValue(name, out var key)) await ShowLogAsync(clients, bucket, run.Scenario, key, prefix, LogTailLines, cancellation);
                }
                else if (type == "TaskFailed")
                {
                    var details = e["taskFailedEventDetails"]!;
                    Say($"{prefix}  ! {lastEntered}: {(string?)details["error"]}: {Truncate((string?)details["cause"] ?? "", 400)}");
                }
                else if (type is "ExecutionSucceeded" or "ExecutionFailed" or "ExecutionAborted" or "ExecutionTimedOut")
                {
                    var execution = await clients.StepFunctions.DescribeExecutionAsync(run.Arn, cancellation);
                    run.Status = execution.Status;
                    run.Duration = (execution.StopDate ?? DateTimeOffset.UtcNow) - execution.StartDate;
                    // What this execution wrote, whether it succeeded or not (a failed run's first steps' outputs are what explain it).
                    var files = await DownloadAsync(clients.S3, bucket, run.Scenario, execution.StartDate, cancellation);
                    if (type == "ExecutionSucceeded")
                    {
                        Say($"{prefix}succeeded in {run.Duration.TotalSeconds:0.0} s; {files} result files in {Path.Combine(options.BucketDirectory, run.Scenario)}");
                        return;
                    }
                    if (files > 0) Say($"{prefix}{files} files its steps wrote before it stopped: {Path.Combine(options.BucketDirectory, run.Scenario)}");
                    var details = e["executionFailedEventDetails"] ?? e["executionAbortedEventDetails"] ?? e["executionTimedOutEventDetails"];
                    run.FailedState = lastEntered;
                    run.Error = (string?)details?["error"] ?? execution.Error ?? type;
                    run.Cause = (string?)details?["cause"] ?? execution.Cause ?? "";
                    if (lastEntered is not null && logKeys.TryGetValue(lastEntered, out var key))
                        await ShowLogAsync(clients, bucket, run.Scenario, key, prefix, int.MaxValue, cancellation);
                    Say(Codes.ExecutionFailedOnAws.Create(request.StateMachinePath, run.Scenario, run.FailedState ?? "(none)", run.Error, Truncate(run.Cause, 1000)).ToString());
                    return;
                }
            }
            delay = fresh.Count > 0 ? options.PollInterval : TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 1.5));
            await Task.Delay(delay, cancellation);
        }
    }

    /// <summary>A step's log from the bucket: its last lines (all of them on failure); nothing when the step wrote none.</summary>
    private async Task ShowLogAsync(IAwsClients clients, string bucket, string scenario, string key, string prefix, int lines, CancellationToken cancellation)
    {
        try
        {
            using var response = await clients.S3.GetObjectAsync(bucket, $"{scenario}/{key}", cancellation);
            using var reader = new StreamReader(response.ResponseStream);
            var tail = new Queue<string>();
            while (await reader.ReadLineAsync(cancellation) is { } line)
            {
                tail.Enqueue(line);
                if (tail.Count > lines) tail.Dequeue();
            }
            lock (_gate)
            {
                console.WriteLine($"{prefix}  {scenario}/{key}{(lines == int.MaxValue ? "" : $" (last {lines} lines)")}:");
                foreach (var line in tail) console.WriteLine($"{prefix}  | {line}");
            }
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // The step wrote no log (it did not start).
        }
    }

    /// <summary>
    /// What this execution produced (outputs/ and logs/ written since it started; and the scenario's info.json), at the keys the local modes
    /// write in the run folder: not what earlier runs left in the scenario (the log of a state since removed, an output
    /// this run did not write again). The previous run's results are moved aside (<see cref="RunFolders"/>).
    /// </summary>
    private async Task<int> DownloadAsync(IAmazonS3 s3, string bucket, string scenario, DateTimeOffset started, CancellationToken cancellation)
    {
        var target = Path.Combine(options.BucketDirectory, scenario);
        var runDirectory = Path.GetDirectoryName(Path.GetFullPath(options.BucketDirectory))!;
        lock (_gate)
            if (RunFolders.Begin(runDirectory, scenario, "aws", started.LocalDateTime) is { } kept)
                console.WriteLine($"  the previous run's results of '{scenario}': {kept}");
        // S3 keeps LastModified to the second, and the two clocks are AWS's own: a second of margin.
        var since = started.UtcDateTime.AddSeconds(-1);
        var count = 0;
        var list = new ListObjectsV2Request { BucketName = bucket, Prefix = scenario + "/" };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(list, cancellation);
            foreach (var item in page.S3Objects ?? [])
            {
                var relative = item.Key[(scenario.Length + 1)..];
                if (!(relative.StartsWith("outputs/", StringComparison.Ordinal) || relative.StartsWith("logs/", StringComparison.Ordinal) || relative == "info.json")) continue;
                if (relative != "info.json" && item.LastModified is { } modified && modified.ToUniversalTime() < since) continue; // info.json: the scenario's, always
                var path = Path.GetFullPath(Path.Combine(target, relative));
                if (!path.StartsWith(Path.GetFullPath(target) + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var response = await s3.GetObjectAsync(bucket, item.Key, cancellation);
                await using (var file = File.Create(path)) await response.ResponseStream.CopyToAsync(file, cancellation);
                count++;
            }
            list.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return count;
    }

    /// <summary>Ctrl+C: --detach leaves the executions running; else the user is asked (stopped when no one can answer).</summary>
    private async Task<int> InterruptedAsync(IAwsClients clients, List<Run> runs)
    {
        var running = runs.Where(r => r.Status == "RUNNING").ToList();
        Say("");
        if (running.Count == 0) return Summary(runs);
        var stop = !options.Detach;
        if (stop && ask is not null)
        {
            lock (_gate) console.Write($"Stop the {running.Count} running execution(s) on AWS? [y/N] ");
            stop = ask()?.Trim().StartsWith('y') == true;
        }
        if (!stop)
        {
            Say("Quetzal: the executions keep running on AWS. Follow them again with:");
            foreach (var run in running) Say($"  dotnet run -- --mode aws --follow {run.Arn}");
            return 130;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var run in running)
        {
            await clients.StepFunctions.StopExecutionAsync(run.Arn, "Quetzal.Interrupted", "stopped from dotnet run (Ctrl+C)", timeout.Token);
            Say($"Quetzal: stopped {run.Arn}");
        }
        return 130;
    }

    private int Summary(List<Run> runs)
    {
        Say("");
        Say($"{"scenario",-24} {"status",-10} {"duration",9}  failed state");
        foreach (var run in runs)
            Say($"{Truncate(run.Scenario, 24),-24} {run.Status,-10} {run.Duration.TotalSeconds,8:0.0}s  {run.FailedState ?? ""}");
        return runs.All(r => r.Status == "SUCCEEDED") ? 0 : 1;
    }

    private void Say(string line)
    {
        lock (_gate) console.WriteLine(line);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "...";

    private sealed class ConsoleLog(AwsRun run, bool quiet = false) : IPublishLog
    {
        public void Info(string message)
        {
            if (!quiet) run.Say(message);
        }

        public void Detail(string message) { }
        public void Warning(Diagnostic diagnostic) => run.Say(diagnostic.ToString());
    }
}
