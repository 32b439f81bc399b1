using Quetzal.Sdk.Model;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Runs a Task's work: a Lambda invocation with its payload (throws <see cref="StateError"/> when the function fails),
/// or a Fargate task: the model's image in container mode with the state's environment overrides.
/// </summary>
public interface ITaskInvoker
{
    Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation);

    /// <summary>A Lambda invocation of a named function (its name or ARN); the local runs have one function, the model's.</summary>
    Task<JsonNode?> InvokeFunctionAsync(string state, string function, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
        => InvokeAsync(state, payload, timeoutSeconds, cancellation);

    /// <summary>
    /// Runs the container of a task definition (its ARN or family:revision, as the state names it) to its end, with the
    /// state's environment overrides; returns its exit code. <paramref name="timeoutSeconds"/>: the state's own deadline,
    /// which the interpreter holds (it cancels the token then, and the invoker stops what it runs); an invoker may record it.
    /// </summary>
    Task<int> RunTaskAsync(string state, string? taskDefinition, IReadOnlyDictionary<string, string> environment, int? timeoutSeconds, CancellationToken cancellation)
        => throw new StateError("Quetzal.Unsupported", "Fargate tasks (this invoker runs Lambda steps only)");
}

/// <summary>What the run shows a person: each state as it starts and ends.</summary>
public interface IRunObserver
{
    void StateStarted(string state, string type);
    /// <summary>A state entered, with its input (what an execution's history records); by default <see cref="StateStarted"/>.</summary>
    void StateEntered(string state, string type, JsonNode? input) => StateStarted(state, type);
    void StateEnded(string state, string type, TimeSpan duration, JsonNode? output);
    void Note(string message);
    void Warning(Diagnostics.Diagnostic diagnostic) => Note(diagnostic.ToString());
}

/// <summary>A state that failed and no Catch handled: the execution fails with it.</summary>
public sealed class ExecutionFailedException(string state, string error, string cause, bool failState = false) : Exception($"{state}: {error}: {cause}")
{
    public string State { get; } = state;
    public string Error { get; } = error;
    public string Cause { get; } = cause;

    /// <summary>The execution ended in a Fail state (its Error and Cause are the workflow's own, not a step's failure).</summary>
    public bool FailState { get; } = failState;
}

/// <summary>A Fail state's error: the execution fails with the state's Error and Cause (none when it gives none).</summary>
public sealed class FailStateError(string error, string cause) : StateError(error, cause);

/// <summary>
/// An interpreter of the Amazon States Language (JSONPath flavour), as the specification and Step Functions run it:
/// Task (Lambda invoke, ECS runTask.sync), Pass, Choice, Parallel, Map, Wait (not slept through), Succeed, Fail, with
/// InputPath, Parameters, ResultSelector, ResultPath, OutputPath, Retry, Catch, the intrinsic functions and workflow
/// variables (Assign, $name). JSONata states and anything else stop with the name of what is missing.
/// </summary>
public sealed class Interpreter(ITaskInvoker invoker, IRunObserver observer)
{
    private const string LambdaInvoke = "arn:aws:states:::lambda:invoke";

    /// <summary>The state machine's name ($$.StateMachine.Name, and in the execution's and machine's ARNs).</summary>
    public string StateMachineName { get; init; } = "local";

    /// <summary>The region and account of the ARNs in the context object.</summary>
    public string Region { get; init; } = "us-east-1";
    public string Account { get; init; } = "000000000000";

    public async Task<JsonNode?> RunAsync(JsonObject machine, JsonNode? input, CancellationToken cancellation)
    {
        var execution = Guid.NewGuid().ToString();
        var context = new JsonObject
        {
            ["Execution"] = new JsonObject
            {
                ["Id"] = $"arn:aws:states:{Region}:{Account}:execution:{StateMachineName}:{execution}",
                ["Input"] = input?.DeepClone(),
                ["Name"] = execution,
                ["RoleArn"] = $"arn:aws:iam::{Account}:role/local-run",
                ["StartTime"] = Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
                ["RedriveCount"] = 0,
            },
            ["StateMachine"] = new JsonObject
            {
                ["Id"] = $"arn:aws:states:{Region}:{Account}:stateMachine:{StateMachineName}",
                ["Name"] = StateMachineName,
            },
        };
        if ((string?)machine["QueryLanguage"] == "JSONata")
            throw new ExecutionFailedException(MachineLabel, "Quetzal.Unsupported", "JSONata (\"QueryLanguage\": \"JSONata\"): a local run interprets JSONPath state machines only");
        // The state machine's TimeoutSeconds: past it, the execution fails with States.Timeout whatever runs then.
        return await WithinAsync((int?)machine["TimeoutSeconds"], token => RunMachineAsync(machine, input, context, new Variables(), "", token),
            seconds => new ExecutionFailedException(MachineLabel, "States.Timeout", $"the execution ran longer than {seconds} s (the state machine's TimeoutSeconds)"), cancellation);
    }

    /// <summary>What a failure of the whole execution (not of one of its states) names as its state.</summary>
    public const string MachineLabel = "(the state machine)";

    private async Task<JsonNode?> RunMachineAsync(JsonObject machine, JsonNode? input, JsonObject context, Variables variables, string prefix, CancellationToken cancellation)
    {
        var states = machine["States"]!.AsObject();
        var current = (string)machine["StartAt"]!;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var state = states[current]!.AsObject();
            var type = (string)state["Type"]!;
            var label = prefix + current;
            observer.StateEntered(label, type, input);
            var started = Time.GetTimestamp();
            (JsonNode? Output, string? Next) step;
            try
            {
                if ((string?)state["QueryLanguage"] == "JSONata")
                    throw new StateError("Quetzal.Unsupported", "JSONata (\"QueryLanguage\": \"JSONata\"): a local run interprets JSONPath states only");
                step = await RunStateAsync(label, current, state, type, input, context, variables, prefix, cancellation);
            }
            catch (StateError e)
            {
                throw new ExecutionFailedException(label, e.Error, e.Cause, e is FailStateError);
            }
            observer.StateEnded(label, type, Time.GetElapsedTime(started), step.Output);
            if (step.Next is null) return step.Output;
            input = step.Output;
            current = step.Next;
        }
    }

    /// <summary>
    /// A state's Assign (JSONPath): each ".$" value read from <paramref name="result"/> (the state's result, after a
    /// ResultSelector; a Choice's or Wait's input; a Catch's error output) and the variables as they were before the
    /// state; then all are set at once.
    /// </summary>
    private static void Assign(JsonNode? assign, JsonNode? result, JsonObject context, Variables variables)
    {
        if (assign is not JsonObject template) return;
        if (PayloadTemplate.Apply(template, result, context, variables) is not JsonObject values) return;
        foreach (var (name, value) in values) variables.Set(name, value);
    }

    private async Task<(JsonNode? Output, string? Next)> RunStateAsync(string label, string name, JsonObject state, string type, JsonNode? input, JsonObject context,
        Variables variables, string prefix, CancellationToken cancellation)
    {
        var stateContext = (JsonObject)context.DeepClone();
        stateContext["State"] = new JsonObject { ["Name"] = name, ["EnteredTime"] = Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), ["RetryCount"] = 0 };
        var next = (bool?)state["End"] == true ? null : (string?)state["Next"];
        if (type == "Fail")
        {
            // ErrorPath and CausePath: a path or an intrinsic on the state's input; with neither, none (no reserved name).
            string? Text(string field, string pathField)
            {
                if ((string?)state[field] is { } text) return text;
                if ((string?)state[pathField] is not { } expression) return null;
                var value = PayloadTemplate.Evaluate(expression, input, stateContext, variables);
                return value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                    : throw new StateError("States.Runtime", $"the {pathField} of '{name}' does not select a string");
            }
            throw new FailStateError(Text("Error", "ErrorPath") ?? "", Text("Cause", "CausePath") ?? "");
        }
        var effective = Path(state, "InputPath", input, stateContext, variables);

        switch (type)
        {
            case "Pass":
            {
                var result = state.ContainsKey("Result") ? state["Result"]?.DeepClone()
                    : state["Parameters"] is { } parameters ? PayloadTemplate.Apply(parameters, effective, stateContext, variables) : effective;
                var output = Output(state, input, result, stateContext, variables);
                Assign(state["Assign"], result, stateContext, variables);
                return (output, next);
            }
            case "Succeed":
                return (Path(state, "OutputPath", effective, stateContext, variables), null);
            case "Wait":
            {
                var seconds = state["Seconds"] is { } s ? (double)s
                    : state["SecondsPath"] is { } sp ? (double)JsonPath.Select(effective, (string)sp!, stateContext, variables)!
                    : (DateTimeOffset.Parse((string?)state["Timestamp"] ?? (string)JsonPath.Select(effective, (string)state["TimestampPath"]!, stateContext, variables)!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow).TotalSeconds;
                if (SleepThroughWaits) await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 86_400)), Time, cancellation);
                else observer.Note($"{label}: Wait of {Math.Max(0, seconds):0.#} s is not slept through in a local run.");
                var output = Path(state, "OutputPath", effective, stateContext, variables);
                Assign(state["Assign"], effective, stateContext, variables);
                return (output, next);
            }
            case "Choice":
            {
                var matched = state["Choices"]!.AsArray().FirstOrDefault(rule => ChoiceRules.Evaluate(rule!.AsObject(), effective, stateContext, variables));
                var target = (string?)matched?["Next"] ?? (string?)state["Default"]
                    ?? throw new StateError("States.NoChoiceMatched", $"no Choice rule of '{name}' matched and it has no Default");
                var output = Path(state, "OutputPath", effective, stateContext, variables);
                Assign(state["Assign"], effective, stateContext, variables);
                Assign(matched?["Assign"], effective, stateContext, variables);
                return (output, target);
            }
            case "Task":
            case "Parallel":
            case "Map":
                return await WithRetryAndCatchAsync(label, state, input, stateContext, variables, next, async () =>
                {
                    var result = type switch
                    {
                        "Task" => await TaskAsync(label, state, effective, stateContext, variables, cancellation),
                        "Parallel" => await ParallelAsync(label, state, effective, stateContext, variables, prefix, cancellation),
                        _ => await MapAsync(label, state, effective, stateContext, variables, prefix, cancellation),
                    };
                    if (state["ResultSelector"] is { } selector) result = PayloadTemplate.Apply(selector, result, stateContext, variables);
                    var output = Output(state, input, result, stateContext, variables);
                    Assign(state["Assign"], result, stateContext, variables);
                    return output;
                }, cancellation);
            default:
                throw new StateError("Quetzal.Unsupported", $"the state type {type}");
        }
    }

    private async Task<JsonNode?> TaskAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, Variables variables, CancellationToken cancellation)
    {
        var resource = (string)state["Resource"]!;
        var parameters = state["Parameters"] is { } template ? PayloadTemplate.Apply(template, effective, context, variables) : effective?.DeepClone();
        var timeout = (int?)state["TimeoutSeconds"] ?? (state["TimeoutSecondsPath"] is { } timeoutPath ? SecondsAt(label, "TimeoutSecondsPath", (string?)timeoutPath, effective, context, variables) : null);
        if (resource == LambdaInvoke && (string?)parameters?["FunctionName"] is { } function && !IsModelFunction(function))
            return new JsonObject { ["ExecutedVersion"] = "$LATEST", ["Payload"] = PassThrough(label, function, parameters?["Payload"]), ["StatusCode"] = 200 };
        if (resource != LambdaInvoke && AwsAccount.IsFunctionArn(resource) && !IsModelFunction(resource))
            return PassThrough(label, resource, parameters);
        if (resource == LambdaInvoke)
        {
            var payload = parameters?["Payload"]?.DeepClone();
            var result = await LambdaAsync(label, (string?)parameters?["FunctionName"] ?? "", payload, timeout, cancellation);
            return new JsonObject { ["ExecutedVersion"] = "$LATEST", ["Payload"] = result, ["StatusCode"] = 200 };
        }
        if (AwsAccount.IsFunctionArn(resource))
            return await LambdaAsync(label, resource, parameters, timeout, cancellation);
        if (resource == Model.Fargate.RunTaskSync)
            return await FargateAsync(label, parameters, timeout, cancellation);
        throw new StateError("Quetzal.Unsupported", $"the Task resource '{resource}' (a local run runs the model's Lambda and Fargate steps only)");
    }

    /// <summary>QuetzalLambdaTimeout: a Lambda step that runs longer gets a warning (Lambda would have stopped it); null: none.</summary>
    public int? LambdaTimeoutSeconds { get; init; }

    /// <summary>Wait states are slept through (an execution service's interpreter); a local run announces them.</summary>
    public bool SleepThroughWaits { get; init; }

    /// <summary>The clock of states' durations, the Lambda timeout's note and Wait states (tests give a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A positive whole number of seconds read from the state's input (TimeoutSecondsPath); anything else is States.Runtime.</summary>
    private static int SecondsAt(string label, string field, string? path, JsonNode? input, JsonObject context, Variables variables)
        => JsonPath.Select(input, path ?? "$", context, variables) is JsonValue value && value.TryGetValue<double>(out var number) && number >= 1 && number == Math.Floor(number) && number <= int.MaxValue
            ? (int)number
            : throw new StateError("States.Runtime", $"the {field} of '{label}' ({path}) does not select a positive whole number of seconds");

    /// <summary>
    /// Work under a deadline of <paramref name="seconds"/> (null: none), on <see cref="Time"/>: past it the work's token
    /// is cancelled (an invoker stops its process then) and whatever the work was doing, it fails with
    /// <paramref name="timedOut"/>, unless a deadline inside it had already said States.Timeout. A state's
    /// TimeoutSeconds (a States.TaskFailed catcher does not match the error) and the state machine's are this one
    /// deadline, held here for every invoker.
    /// </summary>
    private async Task<T> WithinAsync<T>(int? seconds, Func<CancellationToken, Task<T>> work, Func<int, Exception> timedOut, CancellationToken cancellation)
    {
        if (seconds is not int limit) return await work(cancellation);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(limit), Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, deadline.Token);
        try
        {
            return await work(linked.Token).WaitAsync(linked.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested
            && e is not (StateError { Error: "States.Timeout" } or ExecutionFailedException { Error: "States.Timeout" }))
        {
            throw timedOut(limit);
        }
    }

    /// <summary>A step under its state's TimeoutSeconds (see <see cref="WithinAsync"/>): a Lambda invocation ("step") or a Fargate task ("task").</summary>
    private Task<T> WithinTimeoutAsync<T>(int? timeout, string what, Func<CancellationToken, Task<T>> step, CancellationToken cancellation)
        => WithinAsync(timeout, step, seconds => new StateError("States.Timeout", $"the {what} ran longer than {seconds} s (the state's TimeoutSeconds)"), cancellation);

    private async Task<JsonNode?> LambdaAsync(string label, string function, JsonNode? payload, int? timeout, CancellationToken cancellation)
    {
        var started = Time.GetTimestamp();
        using var late = LambdaTimeoutSeconds is { } limit
            ? Time.CreateTimer(_ => observer.Note($"{label} is still running after {limit} s (QuetzalLambdaTimeout): on AWS, Lambda would stop it now"), null, TimeSpan.FromSeconds(limit), Timeout.InfiniteTimeSpan)
            : null;
        try
        {
            return await WithinTimeoutAsync(timeout, "step", token => invoker.InvokeFunctionAsync(label, function, payload, timeout, token), cancellation);
        }
        finally
        {
            var ran = Time.GetElapsedTime(started).TotalSeconds;
            if (LambdaTimeoutSeconds is { } seconds && ran > seconds)
                observer.Warning(Diagnostics.Codes.LambdaWouldTimeOut.Create(null, label, (int)ran, seconds));
        }
    }

    /// <summary>
    /// A Fargate task, as arn:aws:states:::ecs:runTask.sync runs it: the container's environment from the request's
    /// ContainerOverrides, its end awaited; a non-zero exit is States.TaskFailed; the result is the stopped task.
    /// </summary>
    private async Task<JsonNode?> FargateAsync(string label, JsonNode? parameters, int? timeout, CancellationToken cancellation)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        string? container = null;
        foreach (var entry in (parameters?["Overrides"]?["ContainerOverrides"] as JsonArray ?? []).OfType<JsonObject>())
        {
            container ??= (string?)entry["Name"];
            foreach (var variable in (entry["Environment"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)variable["Name"] is { } name) environment[name] = variable["Value"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : variable["Value"]?.ToJsonString() ?? "";
        }
        var code = await WithinTimeoutAsync(timeout, "task", token => invoker.RunTaskAsync(label, (string?)parameters?["TaskDefinition"], environment, timeout, token), cancellation);
        var task = new JsonObject
        {
            ["ClusterArn"] = (string?)parameters?["Cluster"],
            ["TaskDefinitionArn"] = (string?)parameters?["TaskDefinition"],
            ["LaunchType"] = "FARGATE",
            ["LastStatus"] = "STOPPED",
            ["StopCode"] = "EssentialContainerExited",
            ["Containers"] = new JsonArray(new JsonObject { ["Name"] = container, ["ExitCode"] = code, ["LastStatus"] = "STOPPED" }),
        };
        // The Cause is the stopped task, as Step Functions gives it (a Catch reads it); the run describes it in words.
        if (code != 0) throw new StateError("States.TaskFailed", task.ToJsonString());
        return task;
    }

    /// <summary>
    /// The ARN of the model's own function (the one a local run runs): a Task invoking another function (today's
    /// models start with an Authorization state calling quetzal-api-auth with the run's token) cannot be called from
    /// here; it returns the payload it was sent, and the run says so. Null: every function is the model's.
    /// </summary>
    public string? ModelFunctionArn { get; init; }

    private bool IsModelFunction(string function)
    {
        if (ModelFunctionArn is null) return true;
        var name = ModelFunctionArn[(ModelFunctionArn.LastIndexOf(':') + 1)..];
        return function == ModelFunctionArn || function.StartsWith(ModelFunctionArn + ":", StringComparison.Ordinal) || function == name || function.StartsWith(name + ":", StringComparison.Ordinal);
    }

    private JsonNode? PassThrough(string label, string function, JsonNode? payload)
    {
        observer.Note($"State '{label}' invokes {function}, which is not the model's function: a local run cannot call it, so it returns the payload it was sent");
        return payload?.DeepClone();
    }

    /// <summary>The branches side by side; the first to fail stops the others (the spec), and its error is the state's.</summary>
    private async Task<JsonNode?> ParallelAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, Variables variables, string prefix, CancellationToken cancellation)
    {
        var input = state["Parameters"] is { } template ? PayloadTemplate.Apply(template, effective, context, variables) : effective;
        var branches = state["Branches"]!.AsArray();
        return await AllUntilOneFailsAsync(branches.Count, branches.Count, (i, stop) =>
            RunBranchAsync(branches[i]!.AsObject(), input?.DeepClone(), context, variables.Child(), $"{label}[branch {i + 1}] ", stop), cancellation);
    }

    /// <summary>The fields of a distributed Map whose behaviour (reading items, batching them, tolerating failures, writing results) a local run does not have; refused, never ignored.</summary>
    private static readonly string[] DistributedOnly = ["ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"];

    /// <summary>
    /// The items, at most MaxConcurrency at once (0 or none: all), in order of their index; after one fails no other
    /// starts and those running are stopped, and its error is the state's.
    /// </summary>
    private async Task<JsonNode?> MapAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, Variables variables, string prefix, CancellationToken cancellation)
    {
        if (DistributedOnly.Where(state.ContainsKey).ToList() is { Count: > 0 } distributed)
            throw new StateError("Quetzal.Unsupported", $"a distributed Map's {string.Join(", ", distributed)} (state '{label}'): where the items come from, how they are batched, which failures are tolerated and where the results go are Step Functions' Map Run's");
        var items = JsonPath.Select(effective, (string?)state["ItemsPath"] ?? "$", context, variables) as JsonArray
            ?? throw new StateError("States.Runtime", $"the ItemsPath of '{label}' does not select an array");
        var processor = (state["ItemProcessor"] ?? state["Iterator"])!.AsObject();
        var selector = state["ItemSelector"] ?? state["Parameters"];
        var limit = (int?)state["MaxConcurrency"] is int m and > 0 ? m : int.MaxValue;
        return await AllUntilOneFailsAsync(items.Count, Math.Min(limit, 64), (index, stop) =>
        {
            var item = items[index];
            var itemContext = (JsonObject)context.DeepClone();
            itemContext["Map"] = new JsonObject { ["Item"] = new JsonObject { ["Index"] = index, ["Value"] = item?.DeepClone() } };
            var itemInput = selector is null ? item?.DeepClone() : PayloadTemplate.Apply(selector, effective, itemContext, variables);
            return RunBranchAsync(processor, itemInput, context, variables.Child(), $"{label}[item {index}] ", stop);
        }, cancellation);
    }

    /// <summary>
    /// Runs <paramref name="count"/> pieces of work, at most <paramref name="concurrency"/> at once, their results in
    /// order; the first to fail stops the others (those running are cancelled, none starts) and its error is thrown.
    /// </summary>
    private static async Task<JsonArray> AllUntilOneFailsAsync(int count, int concurrency, Func<int, CancellationToken, Task<JsonNode?>> run, CancellationToken cancellation)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, concurrency));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        StateError? first = null;
        bool Stopped() => stop.IsCancellationRequested && !cancellation.IsCancellationRequested;
        var runs = Enumerable.Range(0, count).Select(async i =>
        {
            try
            {
                await gate.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException) when (Stopped())
            {
                return null;
            }
            try
            {
                return await run(i, stop.Token);
            }
            catch (StateError e)
            {
                lock (stop) first ??= e;
                await stop.CancelAsync();
                return null;
            }
            catch (OperationCanceledException) when (Stopped())
            {
                return null;
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        var results = await Task.WhenAll(runs);
        if (first is not null) throw first;
        return new JsonArray(results);
    }

    /// <summary>A branch or Map iteration: a machine of its own whose unhandled failure is the parent state's error.</summary>
    private async Task<JsonNode?> RunBranchAsync(JsonObject machine, JsonNode? input, JsonObject context, Variables variables, string prefix, CancellationToken cancellation)
    {
        try
        {
            return await RunMachineAsync(machine, input, context, variables, prefix, cancellation);
        }
        catch (ExecutionFailedException e)
        {
            throw e.FailState ? new FailStateError(e.Error, e.Cause) : new StateError(e.Error, e.Cause);
        }
    }

    private async Task<(JsonNode? Output, string? Next)> WithRetryAndCatchAsync(
        string label, JsonObject state, JsonNode? rawInput, JsonObject context, Variables variables, string? next, Func<Task<JsonNode?>> work, CancellationToken cancellation)
    {
        var attempts = new Dictionary<int, int>();
        while (true)
        {
            try
            {
                return (await work(), next);
            }
            catch (StateError e)
            {
                // States.Runtime always fails the execution: no Retry or Catch, even one naming it (the spec).
                if (e.Error is "Quetzal.Unsupported" or "States.Runtime") throw;
                var retriers = state["Retry"] as JsonArray ?? [];
                var index = FindMatch(retriers, e.Error);
                if (index >= 0)
                {
                    var retrier = retriers[index]!.AsObject();
                    var count = attempts.GetValueOrDefault(index);
                    var max = (int?)retrier["MaxAttempts"] ?? 3;
                    if (count < max)
                    {
                        attempts[index] = count + 1;
                        var interval = ((double?)retrier["IntervalSeconds"] ?? 1) * Math.Pow((double?)retrier["BackoffRate"] ?? 2, count);
                        observer.Note($"{label}: {e.Error}; retry {count + 1} of {max} (Step Functions would wait {interval:0.#} s first; a local run does not).");
                        ((JsonObject)context["State"]!)["RetryCount"] = count + 1;
                        continue;
                    }
                }
                var catchers = state["Catch"] as JsonArray ?? [];
                var caught = FindMatch(catchers, e.Error);
                if (caught < 0) throw;
                var catcher = catchers[caught]!.AsObject();
                observer.Note($"{label}: {e.Error} caught; going to '{catcher["Next"]}'.");
                var errorOutput = new JsonObject { ["Error"] = e.Error, ["Cause"] = e.Cause };
                // ResultPath null: the state's input goes on as it came; absent: the error output alone ("$").
                var output = catcher.TryGetPropertyValue("ResultPath", out var resultPath) && resultPath is null
                    ? rawInput?.DeepClone()
                    : JsonPath.Merge(rawInput, errorOutput, (string?)resultPath ?? "$");
                Assign(catcher["Assign"], errorOutput, context, variables);
                return (output, (string)catcher["Next"]!);
            }
        }
    }

    /// <summary>The first Retry or Catch whose ErrorEquals names the error; States.ALL matches all but States.Runtime.</summary>
    private static int FindMatch(JsonArray entries, string error)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var names = entries[i]!["ErrorEquals"]!.AsArray().Select(n => (string?)n).ToArray();
            if (names.Contains(error)) return i;
            if (error == "States.Runtime") continue;
            if (names.Contains("States.ALL")) return i;
            if (names.Contains("States.TaskFailed") && error != "States.Timeout" && !error.StartsWith("States.", StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>ResultPath (into the raw input) and OutputPath, in that order (a ResultSelector is applied before, as the Assign reads its result).</summary>
    private static JsonNode? Output(JsonObject state, JsonNode? rawInput, JsonNode? result, JsonObject context, Variables variables)
    {
        JsonNode? merged;
        if (state.TryGetPropertyValue("ResultPath", out var resultPath) && resultPath is null) merged = rawInput?.DeepClone();
        else merged = JsonPath.Merge(rawInput, result, (string?)resultPath ?? "$");
        return Path(state, "OutputPath", merged, context, variables);
    }

    /// <summary>InputPath and OutputPath: absent is "$"; null gives an empty object.</summary>
    private static JsonNode? Path(JsonObject state, string field, JsonNode? value, JsonObject context, Variables variables)
    {
        if (!state.TryGetPropertyValue(field, out var path)) return value?.DeepClone();
        if (path is null) return new JsonObject();
        return JsonPath.Select(value, (string)path!, context, variables)?.DeepClone();
    }
}
