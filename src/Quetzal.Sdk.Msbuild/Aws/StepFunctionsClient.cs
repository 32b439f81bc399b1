using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

public sealed record StateMachineState(string Arn, string Definition, string? RoleArn);

/// <summary>The Step Functions operations the SDK calls, named as in the official AWSSDK.StepFunctions client.</summary>
public interface IAmazonStepFunctions
{
    /// <summary>Finds a state machine by name across every page of ListStateMachines.</summary>
    Task<string?> FindStateMachineArnAsync(string name, CancellationToken cancellation);
    Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation);
    Task<string> CreateStateMachineAsync(string name, string definition, string roleArn, CancellationToken cancellation);
    Task UpdateStateMachineAsync(string arn, string definition, CancellationToken cancellation);
}

public sealed class StepFunctionsClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonStepFunctions, IDisposable
{
    private const string Target = "AWSStepFunctions";
    private readonly AwsHttpClient _http = new(settings, AwsService.StepFunctions, handler);

    public async Task<string?> FindStateMachineArnAsync(string name, CancellationToken cancellation)
    {
        string? next = null;
        do
        {
            var input = new JsonObject { ["maxResults"] = 1000 };
            if (next is not null) input["nextToken"] = next;
            var page = await _http.PostTargetAsync(Target, "ListStateMachines", input, "1.0", cancellation);
            foreach (var machine in page["stateMachines"]?.AsArray() ?? [])
                if ((string?)machine!["name"] == name) return (string)machine["stateMachineArn"]!;
            next = (string?)page["nextToken"];
        }
        while (next is not null);
        return null;
    }

    public async Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "DescribeStateMachine", new JsonObject { ["stateMachineArn"] = arn }, "1.0", cancellation);
        return new StateMachineState(arn, (string)result["definition"]!, (string?)result["roleArn"]);
    }

    public async Task<string> CreateStateMachineAsync(string name, string definition, string roleArn, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "CreateStateMachine",
            new JsonObject { ["name"] = name, ["definition"] = definition, ["roleArn"] = roleArn, ["type"] = "STANDARD" }, "1.0", cancellation);
        return (string)result["stateMachineArn"]!;
    }

    public Task UpdateStateMachineAsync(string arn, string definition, CancellationToken cancellation)
        => _http.PostTargetAsync(Target, "UpdateStateMachine", new JsonObject { ["stateMachineArn"] = arn, ["definition"] = definition }, "1.0", cancellation);

    public void Dispose() => _http.Dispose();
}
