using Quetzal.Sdk.Model;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Workflow;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>
/// Step Functions' executions: StartExecution runs the deployed definition with the SDK's States Language interpreter
/// (which decides the transitions), each Lambda Task invoking the function's image and each Fargate Task running the
/// task definition's container (<see cref="Containers"/>); the history records AWS's event types and shapes
/// (ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded/TaskFailed, TaskStateExited,
/// ExecutionSucceeded/Failed/Aborted...), read with GetExecutionHistory; DescribeExecution, ListExecutions and
/// StopExecution as the service answers them.
/// </summary>
internal sealed partial class Executions(Settings settings, Func<string, JsonObject?> machine, LambdaService lambda, EcsService ecs, Containers containers, Faults faults)
{
    private readonly ConcurrentDictionary<string, Execution> _executions = new();

    public IResult Handle(string operation, JsonObject input) => operation switch
    {
        "StartExecution" => Start(input),
        "DescribeExecution" => Json(Find(input).Describe(withData: true)),
        "GetExecutionHistory" => History(input),
        "ListExecutions" => List(input),
        "StopExecution" => Stop(input),
        "DescribeStateMachineForExecution" => ForExecution(Find(input)),
        _ => throw new AwsError(400, "UnknownOperationException", operation),
    };

    private IResult Start(JsonObject input)
    {
        var machineArn = (string)input["stateMachineArn"]!;
        var definition = machine(machineArn) ?? throw new AwsError(400, "StateMachineDoesNotExist", $"State Machine Does Not Exist: '{machineArn}'");
        var name = (string?)input["name"] ?? Guid.NewGuid().ToString();
        if (name.Length is 0 or > 80 || InvalidName().IsMatch(name))
            throw new AwsError(400, "InvalidName", $"Invalid Name: '{name}'");
        var text = (string?)input["input"] ?? "{}";
        JsonNode? parsed;
        try { parsed = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException e) { throw new AwsError(400, "InvalidExecutionInput", $"Invalid State Machine Execution Input: '{e.Message}'"); }
        // Started on a version: the execution belongs to the state machine, and says which version it runs.
        var unqualified = StepFunctionsService.Unqualified(machineArn);
        var arn = $"{unqualified.Replace(":stateMachine:", ":execution:", StringComparison.Ordinal)}:{name}";
        var execution = new Execution(arn, unqualified, name, text)
        {
            VersionArn = unqualified == machineArn ? null : machineArn, Definition = definition,
        };
        if (!_executions.TryAdd(arn, execution))
        {
            // Same name and input: the same execution (idempotent); else the name is taken.
            var existing = _executions[arn];
            if (existing.Input == text && existing.Status == "RUNNING") return Json(new JsonObject { ["executionArn"] = arn, ["startDate"] = existing.StartDate });
            throw new AwsError(400, "ExecutionAlreadyExists", $"Execution Already Exists: '{arn}'");
        }
        execution.Add("ExecutionStarted", "executionStartedEventDetails", new JsonObject
        {
            ["input"] = text, ["inputDetails"] = new JsonObject { ["truncated"] = false }, ["roleArn"] = (string?)definition["roleArn"],
        });
        _ = Task.Run(() => RunAsync(execution, JsonNode.Parse((string)definition["definition"]!)!.AsObject(), parsed));
        return Json(new JsonObject { ["executionArn"] = arn, ["startDate"] = execution.StartDate });
    }

    private async Task RunAsync(Execution execution, JsonObject definition, JsonNode? input)
    {
        var invoker = new Invoker(execution, settings, lambda, ecs, containers, faults);
        try
        {
            var output = await new Interpreter(invoker, invoker) { SleepThroughWaits = true }.RunAsync(definition, input, execution.Cancellation.Token);
            execution.End("SUCCEEDED", "ExecutionSucceeded", "executionSucceededEventDetails",
                new JsonObject { ["output"] = output?.ToJsonString() ?? "null", ["outputDetails"] = new JsonObject { ["truncated"] = false } }, output?.ToJsonString());
        }
        catch (ExecutionFailedException e)
        {
            execution.End("FAILED", "ExecutionFailed", "executionFailedEventDetails", new JsonObject { ["error"] = e.Error, ["cause"] = e.Cause }, null, e.Error, e.Cause);
        }
        catch (OperationCanceledException) when (execution.Cancellation.IsCancellationRequested)
        {
            // StopExecution recorded the abort.
        }
        catch (Exception e)
        {
            execution.End("FAILED", "ExecutionFailed", "executionFailedEventDetails", new JsonObject { ["error"] = "States.Runtime", ["cause"] = e.Message }, null, "States.Runtime", e.Message);
        }
    }

    private Execution Find(JsonObject input)
    {
        var arn = (string)input["executionArn"]!;
        return _executions.TryGetValue(arn, out var found) ? found : throw new AwsError(400, "ExecutionDoesNotExist", $"Execution Does Not Exist: '{arn}'");
    }

    private IResult History(JsonObject input)
    {
        var execution = Find(input);
        var events = execution.Events();
        if ((bool?)input["reverseOrder"] == true) events.Reverse();
        var withData = (bool?)input["includeExecutionData"] ?? true;
        var start = int.TryParse((string?)input["nextToken"], out var s) ? s : 0;
        var size = (int?)input["maxResults"] is int m and > 0 ? Math.Min(m, 1000) : 100;
        var page = events.Skip(start).Take(size).Select(e => withData ? e.DeepClone() : WithoutData(e)).ToArray();
        var result = new JsonObject { ["events"] = new JsonArray(page) };
        if (start + size < events.Count) result["nextToken"] = (start + size).ToString();
        return Json(result);
    }

    private static JsonNode WithoutData(JsonObject e)
    {
        var copy = (JsonObject)e.DeepClone();
        foreach (var (_, details) in copy.Where(p => p.Key.EndsWith("EventDetails", StringComparison.Ordinal)).ToList())
            if (details is JsonObject d) { d.Remove("input"); d.Remove("output"); }
        return copy;
    }

    private IResult List(JsonObject input)
    {
        var machineArn = (string?)input["stateMachineArn"];
        var status = (string?)input["statusFilter"];
        var all = _executions.Values.Where(e => (machineArn is null || e.MachineArn == machineArn) && (status is null || e.Status == status))
            .OrderByDescending(e => e.StartDate).ToList();
        var start = int.TryParse((string?)input["nextToken"], out var s) ? s : 0;
        var size = (int?)input["maxResults"] is int m and > 0 ? Math.Min(m, 1000) : 100;
        var result = new JsonObject { ["executions"] = new JsonArray(all.Skip(start).Take(size).Select(e => (JsonNode)e.Describe(withData: false)).ToArray()) };
        if (start + size < all.Count) result["nextToken"] = (start + size).ToString();
        return Json(result);
    }

    /// <summary>The state machine as the execution runs it: the definition and revision it started with, whatever was published since.</summary>
    private static IResult ForExecution(Execution execution)
    {
        var definition = execution.Definition!;
        var result = new JsonObject
        {
            ["stateMachineArn"] = execution.VersionArn ?? execution.MachineArn, ["name"] = (string?)definition["name"],
            ["definition"] = (string?)definition["definition"], ["roleArn"] = (string?)definition["roleArn"], ["updateDate"] = execution.StartDate,
        };
        if ((string?)definition["revisionId"] is { } revision) result["revisionId"] = revision;
        return Json(result);
    }

    private IResult Stop(JsonObject input)
    {
        var execution = Find(input);
        execution.Abort((string?)input["error"], (string?)input["cause"]);
        return Json(new JsonObject { ["stopDate"] = execution.StopDate ?? Now() });
    }

    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    [GeneratedRegex(@"[\s<>{}\[\]?*""#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")]
    private static partial Regex InvalidName();

    /// <summary>One execution: its status and its history, appended to as it runs.</summary>
    private sealed class Execution(string arn, string machineArn, string name, string input)
    {
        private readonly List<JsonObject> _events = new();
        private readonly object _gate = new();

        public string Arn => arn;
        public string MachineArn => machineArn;
        public string Input => input;
        /// <summary>The version the execution was started on, if it was.</summary>
        public string? VersionArn { get; init; }
        /// <summary>The state machine (or version) as DescribeStateMachine described it when the execution started.</summary>
        public JsonObject? Definition { get; init; }
        public double StartDate { get; } = Now();
        public double? StopDate { get; private set; }
        public string Status { get; private set; } = "RUNNING";
        public CancellationTokenSource Cancellation { get; } = new();
        private string? _output, _error, _cause;

        public List<JsonObject> Events()
        {
            lock (_gate) return _events.ToList();
        }

        public void Add(string type, string? detailsName = null, JsonObject? details = null)
        {
            lock (_gate)
            {
                var entry = new JsonObject { ["timestamp"] = Now(), ["type"] = type, ["id"] = _events.Count + 1, ["previousEventId"] = _events.Count };
                if (detailsName is not null) entry[detailsName] = details;
                _events.Add(entry);
            }
        }

        public void End(string status, string type, string detailsName, JsonObject details, string? output, string? error = null, string? cause = null)
        {
            lock (_gate)
            {
                if (Status != "RUNNING") return;
                Status = status;
                StopDate = Now();
                (_output, _error, _cause) = (output, error, cause);
                Add(type, detailsName, details);
            }
        }

        public void Abort(string? error, string? cause)
        {
            var details = new JsonObject();
            if (error is not null) details["error"] = error;
            if (cause is not null) details["cause"] = cause;
            End("ABORTED", "ExecutionAborted", "executionAbortedEventDetails", details, null, error, cause);
            Cancellation.Cancel();
        }

        public JsonObject Describe(bool withData)
        {
            lock (_gate)
            {
                var result = new JsonObject
                {
                    ["executionArn"] = arn, ["stateMachineArn"] = machineArn, ["name"] = name, ["status"] = Status, ["startDate"] = StartDate,
                };
                if (VersionArn is not null) result["stateMachineVersionArn"] = VersionArn;
                if (StopDate is { } stop) result["stopDate"] = stop;
                if (!withData) return result;
                result["input"] = input;
                result["inputDetails"] = new JsonObject { ["included"] = true };
                if (_output is not null) { result["output"] = _output; result["outputDetails"] = new JsonObject { ["included"] = true }; }
                if (_error is not null) result["error"] = _error;
                if (_cause is not null) result["cause"] = _cause;
                return result;
            }
        }
    }

    /// <summary>The interpreter's hands in an execution: the states it enters and leaves, and each Task's events, go to the history.</summary>
    private sealed class Invoker(Execution execution, Settings settings, LambdaService lambda, EcsService ecs, Containers containers, Faults faults) : ITaskInvoker, IRunObserver
    {
        public Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
            => throw new StateError("States.Runtime", "a Lambda task names its function");

        public async Task<JsonNode?> InvokeFunctionAsync(string state, string function, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
        {
            var parameters = new JsonObject { ["FunctionName"] = function, ["Payload"] = payload?.DeepClone() };
            Scheduled("lambda", "invoke", parameters, timeoutSeconds);
            try
            {
                LambdaFunction found, target;
                try { (found, target) = lambda.Resolve(function, null); }
                catch (AwsError e) { throw new StateError("Lambda.ResourceNotFoundException", e.Message); }
                faults.Raise(found.Name);
                found.EnsureInvocable();
                execution.Add("TaskStarted", "taskStartedEventDetails", new JsonObject { ["resourceType"] = "lambda", ["resource"] = "invoke" });
                // A qualified ARN runs that version's image and configuration, whatever $LATEST has become since.
                var result = await containers.InvokeAsync(target, payload, cancellation);
                Succeeded("lambda", "invoke", new JsonObject { ["ExecutedVersion"] = target.Version, ["Payload"] = result?.DeepClone(), ["StatusCode"] = 200 });
                return result;
            }
            catch (StateError e)
            {
                Failed("lambda", "invoke", e.Error, e.Cause);
                throw;
            }
        }

        public async Task<int> RunTaskAsync(string state, string? taskDefinition, IReadOnlyDictionary<string, string> environment, int? timeoutSeconds, CancellationToken cancellation)
        {
            Scheduled("ecs", "runTask.sync", new JsonObject { ["TaskDefinition"] = taskDefinition, ["LaunchType"] = "FARGATE" }, timeoutSeconds);
            try
            {
                var definition = ecs.Describe(taskDefinition ?? "")
                    ?? throw new StateError("ECS.AmazonECSException", $"Unable to describe task definition {taskDefinition}");
                faults.Raise((string?)definition["family"] ?? "");
                if ((string?)definition["status"] != "ACTIVE") throw new StateError("ECS.InvalidParameterException", $"TaskDefinition is inactive: {taskDefinition}");
                execution.Add("TaskSubmitted", "taskSubmittedEventDetails", new JsonObject { ["resourceType"] = "ecs", ["resource"] = "runTask.sync", ["output"] = "{}" });
                execution.Add("TaskStarted", "taskStartedEventDetails", new JsonObject { ["resourceType"] = "ecs", ["resource"] = "runTask.sync" });
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                if (timeoutSeconds is { } seconds) deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
                int code;
                try { code = await containers.RunTaskAsync(definition, environment, deadline.Token); }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { throw new StateError("States.Timeout", $"the task ran longer than {timeoutSeconds} s"); }
                // The interpreter turns a non-zero exit into States.TaskFailed; the history says it here.
                var task = new JsonObject { ["LastStatus"] = "STOPPED", ["StopCode"] = "EssentialContainerExited", ["Containers"] = new JsonArray(new JsonObject { ["ExitCode"] = code }) };
                if (code == 0) Succeeded("ecs", "runTask.sync", task);
                else Failed("ecs", "runTask.sync", "States.TaskFailed", task.ToJsonString());
                return code;
            }
            catch (StateError e)
            {
                Failed("ecs", "runTask.sync", e.Error, e.Cause);
                throw;
            }
        }

        private void Scheduled(string type, string resource, JsonObject parameters, int? timeoutSeconds)
        {
            var details = new JsonObject { ["resourceType"] = type, ["resource"] = resource, ["region"] = settings.Region, ["parameters"] = parameters.ToJsonString() };
            if (timeoutSeconds is { } seconds) details["timeoutInSeconds"] = seconds;
            execution.Add("TaskScheduled", "taskScheduledEventDetails", details);
        }

        private void Succeeded(string type, string resource, JsonNode output)
            => execution.Add("TaskSucceeded", "taskSucceededEventDetails", new JsonObject
            {
                ["resourceType"] = type, ["resource"] = resource, ["output"] = output.ToJsonString(), ["outputDetails"] = new JsonObject { ["truncated"] = false },
            });

        private void Failed(string type, string resource, string error, string cause)
            => execution.Add("TaskFailed", "taskFailedEventDetails", new JsonObject { ["resourceType"] = type, ["resource"] = resource, ["error"] = error, ["cause"] = cause });

        public void StateStarted(string state, string type) { }

        public void StateEntered(string state, string type, JsonNode? input)
            => execution.Add($"{type}StateEntered", "stateEnteredEventDetails", new JsonObject
            {
                ["name"] = state, ["input"] = input?.ToJsonString() ?? "null", ["inputDetails"] = new JsonObject { ["truncated"] = false },
            });

        public void StateEnded(string state, string type, TimeSpan duration, JsonNode? output)
        {
            if (type == "Fail") return; // a Fail state has no exit
            execution.Add($"{type}StateExited", "stateExitedEventDetails", new JsonObject
            {
                ["name"] = state, ["output"] = output?.ToJsonString() ?? "null", ["outputDetails"] = new JsonObject { ["truncated"] = false },
            });
        }

        public void Note(string message) { }
    }
}
