using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>
/// Step Functions' control plane (JSON 1.0, target AWSStepFunctions): state machines, by ARN, their versions, and
/// their executions (<see cref="Executions"/>). As the service: every change of the definition or role is a new
/// revision (revisionId; null for the first); publishing (CreateStateMachine's or UpdateStateMachine's publish,
/// PublishStateMachineVersion) snapshots the current revision as version N (<c>stateMachine:name:N</c>, numbered from
/// 1, never reused), unless that revision already has one; versions are listed newest first, described by their ARN,
/// deleted one by one; an execution keeps the definition it started with.
/// </summary>
internal sealed class StepFunctionsService(Settings settings)
{
    /// <summary>Where StartExecution and the other execution operations go.</summary>
    public Executions? Executions { get; set; }

    /// <summary>A state machine or one of its versions as DescribeStateMachine answers it, or null.</summary>
    public JsonObject? Find(string arn)
    {
        lock (_gate)
        {
            if (_machines.TryGetValue(arn, out var found)) return (JsonObject)found.DeepClone();
            return _versions.TryGetValue(Unqualified(arn), out var versions) && versions.FirstOrDefault(v => (string)v["stateMachineArn"]! == arn) is { } version
                ? (JsonObject)version.DeepClone() : null;
        }
    }

    public const string TargetPrefix = "AWSStepFunctions.";

    private readonly ConcurrentDictionary<string, JsonObject> _machines = new();
    private readonly Dictionary<string, List<JsonObject>> _versions = new();
    private readonly Dictionary<string, int> _lastVersion = new();
    private readonly object _gate = new();

    /// <summary>The state machine's ARN of a version's ARN (arn:...:stateMachine:name:N).</summary>
    public static string Unqualified(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length > 7 ? string.Join(':', parts.Take(7)) : arn;
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Publishes the machine's current revision (or returns the version it already has).</summary>
    private string Publish(JsonObject machine, string? description)
    {
        var arn = (string)machine["stateMachineArn"]!;
        var versions = _versions.TryGetValue(arn, out var list) ? list : _versions[arn] = new List<JsonObject>();
        var revision = (string?)machine["revisionId"];
        if (versions.FirstOrDefault(v => (string?)v["revisionId"] == revision) is { } existing) return (string)existing["stateMachineArn"]!;
        if (versions.Count >= 1000) throw new AwsError(400, "ServiceQuotaExceededException", $"The maximum number of versions (1000) for state machine '{arn}' has been reached");
        var number = _lastVersion[arn] = _lastVersion.GetValueOrDefault(arn) + 1;
        var version = (JsonObject)machine.DeepClone();
        version["stateMachineArn"] = $"{arn}:{number}";
        version["creationDate"] = Now();
        if (description is not null) version["description"] = description;
        versions.Add(version);
        return $"{arn}:{number}";
    }

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
                var now = Now();
                lock (_gate)
                {
                    var created = _machines[arn] = new JsonObject
                    {
                        ["stateMachineArn"] = arn, ["name"] = name, ["status"] = "ACTIVE", ["definition"] = (string)input["definition"]!,
                        ["roleArn"] = (string?)input["roleArn"], ["type"] = (string?)input["type"] ?? "STANDARD", ["creationDate"] = now,
                    };
                    var answer = new JsonObject { ["stateMachineArn"] = arn, ["creationDate"] = now };
                    if ((bool?)input["publish"] == true) answer["stateMachineVersionArn"] = Publish(created, (string?)input["versionDescription"]);
                    return Json(answer);
                }
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
                return Json(Find((string)input["stateMachineArn"]!) ?? throw DoesNotExist((string)input["stateMachineArn"]!));
            case "UpdateStateMachine":
                lock (_gate)
                {
                    var machine = Machine(input);
                    if (input["definition"] is null && input["roleArn"] is null)
                        throw new AwsError(400, "MissingRequiredParameter", "Either the definition or the roleArn must be specified");
                    var changed = false;
                    if (input["definition"] is { } definition)
                    {
                        CheckDefinition((string?)definition);
                        changed |= (string?)machine["definition"] != (string)definition!;
                        machine["definition"] = (string)definition!;
                    }
                    if (input["roleArn"] is { } role)
                    {
                        changed |= (string?)machine["roleArn"] != (string)role!;
                        machine["roleArn"] = (string)role!;
                    }
                    if (changed) machine["revisionId"] = Guid.NewGuid().ToString();
                    var updated = new JsonObject { ["updateDate"] = Now() };
                    if ((string?)machine["revisionId"] is { } revisionId) updated["revisionId"] = revisionId;
                    if ((bool?)input["publish"] == true) updated["stateMachineVersionArn"] = Publish(machine, (string?)input["versionDescription"]);
                    else if (input["versionDescription"] is not null)
                        throw new AwsError(400, "ValidationException", "Version description can only be set when publish is true");
                    return Json(updated);
                }
            case "PublishStateMachineVersion":
                lock (_gate)
                {
                    var machine = Machine(input);
                    if ((string?)input["revisionId"] is { } expected && expected != (string?)machine["revisionId"])
                        throw new AwsError(400, "ConflictException", $"Failed to publish the State Machine version for revision {expected}. The current State Machine revision is {machine["revisionId"]}.");
                    var versionArn = Publish(machine, (string?)input["description"]);
                    return Json(new JsonObject { ["creationDate"] = Now(), ["stateMachineVersionArn"] = versionArn });
                }
            case "ListStateMachineVersions":
                lock (_gate)
                {
                    var machineArn = (string)Machine(input)["stateMachineArn"]!;
                    var versions = (_versions.GetValueOrDefault(machineArn) ?? []).AsEnumerable().Reverse().ToList();
                    var from = int.TryParse((string?)input["nextToken"], out var f) ? f : 0;
                    var count = Math.Min(settings.PageSize, (int?)input["maxResults"] is int mr and > 0 ? mr : settings.PageSize);
                    var listed = new JsonObject
                    {
                        ["stateMachineVersions"] = new JsonArray(versions.Skip(from).Take(count).Select(v => (JsonNode)new JsonObject
                        {
                            ["stateMachineVersionArn"] = (string)v["stateMachineArn"]!, ["creationDate"] = (double)v["creationDate"]!,
                        }).ToArray()),
                    };
                    if (from + count < versions.Count) listed["nextToken"] = (from + count).ToString();
                    return Json(listed);
                }
            case "DeleteStateMachineVersion":
                lock (_gate)
                {
                    var versionArn = (string)input["stateMachineVersionArn"]!;
                    if (_versions.TryGetValue(Unqualified(versionArn), out var versions)) versions.RemoveAll(v => (string)v["stateMachineArn"]! == versionArn);
                    // As the service: deleting a version that does not exist succeeds; its running executions go on.
                    return Json(new JsonObject());
                }
            case "StartExecution" or "DescribeExecution" or "GetExecutionHistory" or "ListExecutions" or "StopExecution" or "DescribeStateMachineForExecution" when Executions is not null:
                return Executions.Handle(operation, input);
            default:
                throw new AwsError(400, "UnknownOperationException", operation);
        }
    }

    private JsonObject Machine(JsonObject request)
        => _machines.TryGetValue((string)request["stateMachineArn"]!, out var found) ? found : throw DoesNotExist((string)request["stateMachineArn"]!);

    private static AwsError DoesNotExist(string arn) => new(400, "StateMachineDoesNotExist", $"State Machine Does Not Exist: '{arn}'");

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
