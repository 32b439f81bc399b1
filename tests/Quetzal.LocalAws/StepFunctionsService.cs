using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>Step Functions' control plane (JSON 1.0, target AWSStepFunctions): state machines, by ARN, and their executions (<see cref="Executions"/>).</summary>
internal sealed class StepFunctionsService(Settings settings)
{
    /// <summary>Where StartExecution and the other execution operations go.</summary>
    public Executions? Executions { get; set; }

    /// <summary>A state machine as DescribeStateMachine answers it, or null.</summary>
    public JsonObject? Find(string arn) => _machines.TryGetValue(arn, out var found) ? (JsonObject)found.DeepClone() : null;

    public const string TargetPrefix = "AWSStepFunctions.";

    private readonly ConcurrentDictionary<string, JsonObject> _machines = new();

    public IResult Handle(string operation, JsonObject input)
    {
        switch (operation)
        {
            case "ListStateMachines":
                var all = _machines.Values.OrderBy(m => (string)m["name"]!, StringComparer.Ordinal).ToArray();
                var start = int.TryParse((string?)input["nextToken"], out var s) ? s : 0;
                var size = Math.Min(settings.PageSize, (int?)input["maxResults"] is int m and > 0 ? m : settings.PageSize);
                var page = new JsonArray(all.Skip(start).Take(size).Select(x => (JsonNode)new JsonObject
                {
                    ["stateMachineArn"] = (string)x["stateMachineArn"]!, ["name"] = (string)x["name"]!, ["type"] = "STANDARD", ["creationDate"] = (double)x["creationDate"]!,
                }).ToArray());
                var result = new JsonObject { ["stateMachines"] = page };
                if (start + size < all.Length) result["nextToken"] = (start + size).ToString();
                return Json(result);
            case "CreateStateMachine":
                var name = (string)input["name"]!;
                CheckDefinition((string?)input["definition"]);
                var arn = settings.Arn("states", $"stateMachine:{name}");
                if (_machines.ContainsKey(arn)) throw new AwsError(400, "StateMachineAlreadyExists", $"State Machine Already Exists: '{arn}'");
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
                _machines[arn] = new JsonObject
                {
                    ["stateMachineArn"] = arn, ["name"] = name, ["status"] = "ACTIVE", ["definition"] = (string)input["definition"]!,
                    ["roleArn"] = (string?)input["roleArn"], ["type"] = (string?)input["type"] ?? "STANDARD", ["creationDate"] = now,
                };
                return Json(new JsonObject { ["stateMachineArn"] = arn, ["creationDate"] = now });
            case "ValidateStateMachineDefinition":
                // What Terraform's AWS provider asks before a plan: the definition's structure (here, that it is JSON with StartAt).
                try
                {
                    CheckDefinition((string?)input["definition"]);
                    return Json(new JsonObject { ["result"] = "OK", ["diagnostics"] = new JsonArray(), ["truncated"] = false });
                }
                catch (AwsError e)
                {
                    return Json(new JsonObject
                    {
                        ["result"] = "FAIL", ["truncated"] = false,
                        ["diagnostics"] = new JsonArray(new JsonObject { ["severity"] = "ERROR", ["code"] = "SCHEMA_VALIDATION_FAILED", ["message"] = e.Message }),
                    });
                }
            case "DescribeStateMachine":
                return Json(Machine(input).DeepClone());
            case "UpdateStateMachine":
                var machine = Machine(input);
                if (input["definition"] is { } definition)
                {
                    CheckDefinition((string?)definition);
                    machine["definition"] = (string)definition!;
                }
                if (input["roleArn"] is { } role) machine["roleArn"] = (string)role!;
                return Json(new JsonObject { ["updateDate"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 });
            case "StartExecution" or "DescribeExecution" or "GetExecutionHistory" or "ListExecutions" or "StopExecution" when Executions is not null:
                return Executions.Handle(operation, input);
            default:
                throw new AwsError(400, "UnknownOperationException", operation);
        }
    }

    private JsonObject Machine(JsonObject request)
        => _machines.TryGetValue((string)request["stateMachineArn"]!, out var found) ? found
            : throw new AwsError(400, "StateMachineDoesNotExist", $"State Machine Does Not Exist: '{request["stateMachineArn"]}'");

    private static void CheckDefinition(string? definition)
    {
        try
        {
            if (JsonNode.Parse(definition ?? "")?["StartAt"] is null) throw new JsonException("no StartAt");
        }
        catch (JsonException e)
        {
            throw new AwsError(400, "InvalidDefinition", $"Invalid State Machine Definition: '{e.Message}'");
        }
    }
}
