using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

public sealed record StateMachineState(string Arn, string Definition, string? RoleArn);

/// <summary>The Step Functions operations the SDK calls, named as in the official AWSSDK.StepFunctions client.</summary>
public interface IAmazonStepFunctions
{
    Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation);
    /// <summary>DescribeStateMachine, or null when there is no state machine with that ARN.</summary>
    Task<StateMachineState?> TryDescribeStateMachineAsync(string arn, CancellationToken cancellation);
    Task<string> CreateStateMachineAsync(string name, string definition, string roleArn, CancellationToken cancellation);
    Task UpdateStateMachineAsync(string arn, string definition, CancellationToken cancellation);
}

public sealed class StepFunctionsClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonStepFunctions, IDisposable
{
    private const string Target = "AWSStepFunctions";
    private readonly AwsHttpClient _http = new(settings, AwsService.StepFunctions, handler);

    public async Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation)
    {
        var result = await _http.PostTargetAsync(Target, "DescribeStateMachine", new JsonObject { ["stateMachineArn"] = arn }, "1.0", cancellation);
        return new StateMachineState(arn, (string)result["definition"]!, (string?)result["roleArn"]);
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
