using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

/// <summary>A state machine, or one of its versions, as DescribeStateMachine answers it: the revision (null for the first) and, for a version, its description and date.</summary>
public sealed record StateMachineState(string Arn, string Definition, string? RoleArn, string? RevisionId = null, string? Description = null, DateTimeOffset? CreationDate = null);

/// <summary>An execution as DescribeExecution answers it (dates in UTC).</summary>
public sealed record ExecutionState(string Arn, string Name, string Status, DateTimeOffset StartDate, DateTimeOffset? StopDate, string? Input, string? Output, string? Error, string? Cause);

/// <summary>One page of GetExecutionHistory: its events (AWS's shapes) and the token of the next page, if any.</summary>
public sealed record HistoryPage(IReadOnlyList<JsonObject> Events, string? NextToken);

/// <summary>The Step Functions operations the SDK calls, named as in the official AWSSDK.StepFunctions client.</summary>
public interface IAmazonStepFunctions
{
    Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation);
    /// <summary>DescribeStateMachine, or null when there is no state machine with that ARN.</summary>
    Task<StateMachineState?> TryDescribeStateMachineAsync(string arn, CancellationToken cancellation);
    /// <summary>Creates the state machine; with a <paramref name="versionDescription"/>, publishes it as version 1 too. Returns the ARN of the state machine and of the version.</summary>
    Task<(string Arn, string? VersionArn)> CreateStateMachineAsync(string name, string definition, string roleArn, string? versionDescription, CancellationToken cancellation);
    /// <summary>Updates the definition; with a <paramref name="versionDescription"/>, publishes the new revision as a version. Returns the version's ARN.</summary>
    Task<string?> UpdateStateMachineAsync(string arn, string definition, string? versionDescription, CancellationToken cancellation);
    /// <summary>Every version of the state machine (all pages), newest first, with its creation date.</summary>
    Task<IReadOnlyList<(string VersionArn, DateTimeOffset Created)>> ListStateMachineVersionsAsync(string arn, CancellationToken cancellation);
    Task DeleteStateMachineVersionAsync(string versionArn, CancellationToken cancellation);
    /// <summary>The ARNs of the state machine's executions with this status (all pages).</summary>
    Task<IReadOnlyList<string>> ListExecutionsAsync(string stateMachineArn, string status, CancellationToken cancellation);
    /// <summary>The definition and revision an execution runs.</summary>
    Task<StateMachineState> DescribeStateMachineForExecutionAsync(string executionArn, CancellationToken cancellation);
    Task<string> StartExecutionAsync(string stateMachineArn, string name, string input, CancellationToken cancellation);
    Task<ExecutionState> DescribeExecutionAsync(string executionArn, CancellationToken cancellation);
    /// <summary>A page of the history, newest first when <paramref name="reverseOrder"/>.</summary>
    Task<HistoryPage> GetExecutionHistoryAsync(string executionArn, string? nextToken, bool reverseOrder, CancellationToken cancellation);
    Task StopExecutionAsync(string executionArn, string? error, string? cause, CancellationToken cancellation);
}

public sealed class StepFunctionsClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonStepFunctions, IDisposable
{
    private const string Target = "AWSStepFunctions";
    private readonly AwsHttpClient _http = new(settings, AwsService.StepFunctions, handler);

    public async Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "DescribeStateMachine", new JsonObject { ["stateMachineArn"] = arn }, "1.0", cancellation);
        return new StateMachineState(arn, (string)result["definition"]!, (string?)result["roleArn"], (string?)result["revisionId"], (string?)result["description"], Date(result["creationDate"]));
    }

    public async Task<StateMachineState?> TryDescribeStateMachineAsync(string arn, CancellationToken cancellation)
    {
        try
        {
            return await DescribeStateMachineAsync(arn, cancellation);
        }
        catch (AwsServiceException e) when (e.Type == "StateMachineDoesNotExist")
        {
            return null;
        }
    }

    public async Task<(string Arn, string? VersionArn)> CreateStateMachineAsync(string name, string definition, string roleArn, string? versionDescription, CancellationToken cancellation)
    {
        var input = new JsonObject { ["name"] = name, ["definition"] = definition, ["roleArn"] = roleArn, ["type"] = "STANDARD" };
        if (versionDescription is not null) { input["publish"] = true; input["versionDescription"] = versionDescription; }
        var result = await _http.PostTargetAsync(Target, "CreateStateMachine", input, "1.0", cancellation);
        return ((string)result["stateMachineArn"]!, (string?)result["stateMachineVersionArn"]);
    }

    public async Task<string?> UpdateStateMachineAsync(string arn, string definition, string? versionDescription, CancellationToken cancellation)
    {
        var input = new JsonObject { ["stateMachineArn"] = arn, ["definition"] = definition };
        if (versionDescription is not null) { input["publish"] = true; input["versionDescription"] = versionDescription; }
        var result = await _http.PostTargetAsync(Target, "UpdateStateMachine", input, "1.0", cancellation);
        return (string?)result["stateMachineVersionArn"];
    }

    public async Task<IReadOnlyList<(string VersionArn, DateTimeOffset Created)>> ListStateMachineVersionsAsync(string arn, CancellationToken cancellation)
    {
        var versions = new List<(string, DateTimeOffset)>();
        string? token = null;
        do
        {
            var input = new JsonObject { ["stateMachineArn"] = arn, ["maxResults"] = 1000 };
            if (token is not null) input["nextToken"] = token;
            var page = await _http.PostTargetAsync(Target, "ListStateMachineVersions", input, "1.0", cancellation);
            versions.AddRange((page["stateMachineVersions"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(v => ((string)v["stateMachineVersionArn"]!, Date(v["creationDate"]) ?? DateTimeOffset.MinValue)));
            token = (string?)page["nextToken"];
        }
        while (token is not null);
        return versions;
    }

    public Task DeleteStateMachineVersionAsync(string versionArn, CancellationToken cancellation)
        => _http.PostTargetAsync(Target, "DeleteStateMachineVersion", new JsonObject { ["stateMachineVersionArn"] = versionArn }, "1.0", cancellation);

    public async Task<IReadOnlyList<string>> ListExecutionsAsync(string stateMachineArn, string status, CancellationToken cancellation)
    {
        var executions = new List<string>();
        string? token = null;
        do
        {
            var input = new JsonObject { ["stateMachineArn"] = stateMachineArn, ["statusFilter"] = status, ["maxResults"] = 1000 };
            if (token is not null) input["nextToken"] = token;
            var page = await _http.PostTargetAsync(Target, "ListExecutions", input, "1.0", cancellation);
            executions.AddRange((page["executions"] as JsonArray ?? []).OfType<JsonObject>().Select(e => (string)e["executionArn"]!));
            token = (string?)page["nextToken"];
        }
        while (token is not null);
        return executions;
    }

    public async Task<StateMachineState> DescribeStateMachineForExecutionAsync(string executionArn, CancellationToken cancellation)
    {
        var r = await _http.PostTargetAsync(Target, "DescribeStateMachineForExecution", new JsonObject { ["executionArn"] = executionArn }, "1.0", cancellation);
        return new StateMachineState((string)r["stateMachineArn"]!, (string)r["definition"]!, (string?)r["roleArn"], (string?)r["revisionId"]);
    }

    public async Task<string> StartExecutionAsync(string stateMachineArn, string name, string input, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "StartExecution",
            new JsonObject { ["stateMachineArn"] = stateMachineArn, ["name"] = name, ["input"] = input }, "1.0", cancellation);
        return (string)result["executionArn"]!;
    }

    public async Task<ExecutionState> DescribeExecutionAsync(string executionArn, CancellationToken cancellation)
    {
        var r = await _http.PostTargetAsync(Target, "DescribeExecution", new JsonObject { ["executionArn"] = executionArn }, "1.0", cancellation);
        return new ExecutionState(executionArn, (string)r["name"]!, (string)r["status"]!, Date(r["startDate"])!.Value, Date(r["stopDate"]),
            (string?)r["input"], (string?)r["output"], (string?)r["error"], (string?)r["cause"]);
    }

    public async Task<HistoryPage> GetExecutionHistoryAsync(string executionArn, string? nextToken, bool reverseOrder, CancellationToken cancellation)
    {
        var input = new JsonObject { ["executionArn"] = executionArn, ["maxResults"] = 1000, ["reverseOrder"] = reverseOrder, ["includeExecutionData"] = true };
        if (nextToken is not null) input["nextToken"] = nextToken;
        var r = await _http.PostTargetAsync(Target, "GetExecutionHistory", input, "1.0", cancellation);
        return new HistoryPage((r["events"] as JsonArray ?? []).OfType<JsonObject>().Select(e => (JsonObject)e.DeepClone()).ToList(), (string?)r["nextToken"]);
    }

    public Task StopExecutionAsync(string executionArn, string? error, string? cause, CancellationToken cancellation)
    {
        var input = new JsonObject { ["executionArn"] = executionArn };
        if (error is not null) input["error"] = error;
        if (cause is not null) input["cause"] = cause;
        return _http.PostTargetAsync(Target, "StopExecution", input, "1.0", cancellation);
    }

    /// <summary>A JSON 1.0 timestamp: seconds since the epoch, with a fraction.</summary>
    public static DateTimeOffset? Date(JsonNode? value)
        => value is JsonValue v && v.TryGetValue<double>(out var seconds) ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : null;

    public void Dispose() => _http.Dispose();
}
