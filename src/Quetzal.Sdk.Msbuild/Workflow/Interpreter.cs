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
    /// state's environment overrides; returns its exit code. <paramref name="timeoutSeconds"/>: the state's own deadline.
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
public sealed class ExecutionFailedException(string state, string error, string cause) : Exception($"{state}: {error}: {cause}")
{
    public string State { get; } = state;
    public string Error { get; } = error;
    public string Cause { get; } = cause;
}

/// <summary>
/// An interpreter of the Amazon States Language (JSONPath flavour) for what quetzal models use: Task (Lambda invoke, ECS runTask.sync),
/// Pass, Choice, Parallel, Map, Wait (not slept through), Succeed, Fail, with InputPath, Parameters, ResultSelector,
/// ResultPath, OutputPath, Retry and Catch. Anything else stops with the name of what is missing.
/// </summary>
public sealed class Interpreter(ITaskInvoker invoker, IRunObserver observer)
{
    private const string LambdaInvoke = "arn:aws:states:::lambda:invoke";

    public async Task<JsonNode?> RunAsync(JsonObject machine, JsonNode? input, CancellationToken cancellation)
    {
        var context = new JsonObject
        {
            ["Execution"] = new JsonObject { ["Id"] = "local:" + Guid.NewGuid().ToString("N"), ["Input"] = input?.DeepClone(), ["StartTime"] = Time.GetUtcNow().UtcDateTime.ToString("O") },
            ["StateMachine"] = new JsonObject { ["Name"] = "local" },
        };
        return await RunMachineAsync(machine, input, context, "", cancellation);
    }

    private async Task<JsonNode?> RunMachineAsync(JsonObject machine, JsonNode? input, JsonObject context, string prefix, CancellationToken cancellation)
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
                step = await RunStateAsync(label, current, state, type, input, context, prefix, cancellation);
            }
            catch (StateError e)
            {
                throw new ExecutionFailedException(label, e.Error, e.Cause);
            }
            observer.StateEnded(label, type, Time.GetElapsedTime(started), step.Output);
            if (step.Next is null) return step.Output;
            input = step.Output;
            current = step.Next;
        }
    }

    private async Task<(JsonNode? Output, string? Next)> RunStateAsync(string label, string name, JsonObject state, string type, JsonNode? input, JsonObject context, string prefix, CancellationToken cancellation)
    {
        var stateContext = (JsonObject)context.DeepClone();
        stateContext["State"] = new JsonObject { ["Name"] = name, ["EnteredTime"] = Time.GetUtcNow().UtcDateTime.ToString("O"), ["RetryCount"] = 0 };
        var next = (bool?)state["End"] == true ? null : (string?)state["Next"];
        var effective = Path(state, "InputPath", input, stateContext, isInput: true);

        switch (type)
        {
            case "Pass":
            {
                var result = state.ContainsKey("Result") ? state["Result"]?.DeepClone()
                    : state["Parameters"] is { } parameters ? PayloadTemplate.Apply(parameters, effective, stateContext) : effective;
                return (Output(state, input, result, stateContext, withSelector: false), next);
            }
            case "Succeed":
                return (Path(state, "OutputPath", effective, stateContext, isInput: false), null);
            case "Fail":
                throw new StateError((string?)state["Error"] ?? "States.Fail", (string?)state["Cause"] ?? "");
            case "Wait":
            {
                var seconds = state["Seconds"] is { } s ? (double)s
                    : state["SecondsPath"] is { } sp ? (double)JsonPath.Select(effective, (string)sp!, stateContext)!
                    : (DateTimeOffset.Parse((string?)state["Timestamp"] ?? (string)JsonPath.Select(effective, (string)state["TimestampPath"]!, stateContext)!) - DateTimeOffset.UtcNow).TotalSeconds;
                if (SleepThroughWaits) await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 86_400)), Time, cancellation);
                else observer.Note($"{label}: Wait of {Math.Max(0, seconds):0.#} s is not slept through in a local run.");
                return (Path(state, "OutputPath", effective, stateContext, isInput: false), next);
            }
            case "Choice":
            {
                foreach (var rule in state["Choices"]!.AsArray())
                    if (ChoiceRules.Evaluate(rule!.AsObject(), effective, stateContext))
                        return (Path(state, "OutputPath", effective, stateContext, isInput: false), (string)rule["Next"]!);
                if (state["Default"] is { } fallback) return (Path(state, "OutputPath", effective, stateContext, isInput: false), (string)fallback!);
                throw new StateError("States.NoChoiceMatched", $"no Choice rule of '{name}' matched and it has no Default");
            }
            case "Task":
            case "Parallel":
            case "Map":
                return await WithRetryAndCatchAsync(label, state, input, stateContext, next, async () =>
                {
                    var result = type switch
                    {
                        "Task" => await TaskAsync(label, state, effective, stateContext, cancellation),
                        "Parallel" => await ParallelAsync(label, state, effective, stateContext, prefix, cancellation),
                        _ => await MapAsync(label, state, effective, stateContext, prefix, cancellation),
                    };
                    return Output(state, input, result, stateContext, withSelector: true);
                }, cancellation);
            default:
                throw new StateError("Quetzal.Unsupported", $"the state type {type}");
        }
    }

    private async Task<JsonNode?> TaskAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, CancellationToken cancellation)
    {
        var resource = (string)state["Resource"]!;
        var parameters = state["Parameters"] is { } template ? PayloadTemplate.Apply(template, effective, context) : effective?.DeepClone();
        var timeout = (int?)state["TimeoutSeconds"];
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

    private async Task<JsonNode?> LambdaAsync(string label, string function, JsonNode? payload, int? timeout, CancellationToken cancellation)
    {
        var started = Time.GetTimestamp();
        using var late = LambdaTimeoutSeconds is { } limit
            ? Time.CreateTimer(_ => observer.Note($"{label} is still running after {limit} s (QuetzalLambdaTimeout): on AWS, Lambda would stop it now"), null, TimeSpan.FromSeconds(limit), Timeout.InfiniteTimeSpan)
            : null;
        try
        {
            return await invoker.InvokeFunctionAsync(label, function, payload, timeout, cancellation);
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
        var code = await invoker.RunTaskAsync(label, (string?)parameters?["TaskDefinition"], environment, timeout, cancellation);
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

    private async Task<JsonNode?> ParallelAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, string prefix, CancellationToken cancellation)
    {
        var input = state["Parameters"] is { } template ? PayloadTemplate.Apply(template, effective, context) : effective;
        var branches = state["Branches"]!.AsArray().Select((branch, i) =>
            RunBranchAsync(branch!.AsObject(), input?.DeepClone(), context, $"{label}[branch {i + 1}] ", cancellation)).ToArray();
        var results = await Task.WhenAll(branches.Select(async b => { try { return (Ok: true, Value: await b, Error: (StateError?)null); } catch (StateError e) { return (false, null, e); } }));
        var failed = results.FirstOrDefault(r => !r.Ok);
        if (failed.Error is not null) throw failed.Error;
        return new JsonArray(results.Select(r => r.Value).ToArray());
    }

    private async Task<JsonNode?> MapAsync(string label, JsonObject state, JsonNode? effective, JsonObject context, string prefix, CancellationToken cancellation)
    {
        var items = JsonPath.Select(effective, (string?)state["ItemsPath"] ?? "$", context) as JsonArray
            ?? throw new StateError("States.Runtime", $"the ItemsPath of '{label}' does not select an array");
        var processor = (state["ItemProcessor"] ?? state["Iterator"])!.AsObject();
        var selector = state["ItemSelector"] ?? state["Parameters"];
        var limit = (int?)state["MaxConcurrency"] is int m and > 0 ? m : int.MaxValue;
        using var gate = new SemaphoreSlim(Math.Min(limit, 64));
        var runs = items.Select(async (item, index) =>
        {
            var itemContext = (JsonObject)context.DeepClone();
            itemContext["Map"] = new JsonObject { ["Item"] = new JsonObject { ["Index"] = index, ["Value"] = item?.DeepClone() } };
            var itemInput = selector is null ? item?.DeepClone() : PayloadTemplate.Apply(selector, effective, itemContext);
            await gate.WaitAsync(cancellation);
            try { return await RunBranchAsync(processor, itemInput, context, $"{label}[item {index}] ", cancellation); }
            finally { gate.Release(); }
        }).ToArray();
        var results = new JsonNode?[runs.Length];
        StateError? first = null;
        for (var i = 0; i < runs.Length; i++)
        {
            try { results[i] = await runs[i]; }
            catch (StateError e) { first ??= e; }
        }
        if (first is not null) throw first;
        return new JsonArray(results);
    }

    /// <summary>A branch or Map iteration: a machine of its own whose unhandled failure is the parent state's error.</summary>
    private async Task<JsonNode?> RunBranchAsync(JsonObject machine, JsonNode? input, JsonObject context, string prefix, CancellationToken cancellation)
    {
        try
        {
            return await RunMachineAsync(machine, input, context, prefix, cancellation);
        }
        catch (ExecutionFailedException e)
        {
            throw new StateError(e.Error, e.Cause);
        }
    }

    private async Task<(JsonNode? Output, string? Next)> WithRetryAndCatchAsync(
        string label, JsonObject state, JsonNode? rawInput, JsonObject context, string? next, Func<Task<JsonNode?>> work, CancellationToken cancellation)
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
                if (e.Error == "Quetzal.Unsupported") throw;
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
                var output = JsonPath.Merge(rawInput, errorOutput, (string?)catcher["ResultPath"] ?? "$");
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

    /// <summary>ResultSelector, ResultPath (into the raw input) and OutputPath, in that order.</summary>
    private static JsonNode? Output(JsonObject state, JsonNode? rawInput, JsonNode? result, JsonObject context, bool withSelector)
    {
        if (withSelector && state["ResultSelector"] is { } selector) result = PayloadTemplate.Apply(selector, result, context);
        JsonNode? merged;
        if (state.TryGetPropertyValue("ResultPath", out var resultPath) && resultPath is null) merged = rawInput?.DeepClone();
        else merged = JsonPath.Merge(rawInput, result, (string?)resultPath ?? "$");
        return Path(state, "OutputPath", merged, context, isInput: false);
    }

    /// <summary>InputPath and OutputPath: absent is "$"; null gives an empty object.</summary>
    private static JsonNode? Path(JsonObject state, string field, JsonNode? value, JsonObject context, bool isInput)
    {
        if (!state.TryGetPropertyValue(field, out var path)) return value?.DeepClone();
        if (path is null) return new JsonObject();
        return JsonPath.Select(value, (string)path!, context)?.DeepClone();
    }
}
