using Quetzal.Sdk.Model;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Workflow;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class InterpreterTests
{
    /// <summary>A Lambda stand-in: each state's behaviour is a function of its payload.</summary>
    private sealed class Script : ITaskInvoker, IRunObserver
    {
        public Dictionary<string, Func<JsonNode?, int, JsonNode?>> Steps { get; } = new();
        public ConcurrentDictionary<string, int> Calls { get; } = new();
        public List<string> Notes { get; } = new();
        public List<Quetzal.Sdk.Diagnostics.Diagnostic> Warnings { get; } = new();
        /// <summary>A Fargate task's exit code from its environment (null: the invoker runs Lambda steps only).</summary>
        public Func<IReadOnlyDictionary<string, string>, int>? Tasks { get; set; }
        public TimeSpan Delay { get; set; }
        /// <summary>Each step starts on another thread, as a real invoker's does (it waits on a process): branches then run side by side.</summary>
        public bool Yield { get; set; }
        /// <summary>The clock <see cref="Delay"/> runs on.</summary>
        public TimeProvider Time { get; set; } = TimeProvider.System;
        /// <summary>Set when a step starts.</summary>
        public TaskCompletionSource Invoked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<string> Ended { get; } = new();

        public async Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
        {
            var call = Calls.AddOrUpdate(state, 1, (_, n) => n + 1);
            var delay = Delay > TimeSpan.Zero ? Task.Delay(Delay, Time, cancellation) : Task.CompletedTask;
            Invoked.TrySetResult();
            if (Yield) await Task.Yield();
            await delay;
            return Steps[state](payload, call);
        }

        public Task<int> RunTaskAsync(string state, string? taskDefinition, IReadOnlyDictionary<string, string> environment, int? timeoutSeconds, CancellationToken cancellation)
            => Tasks is null ? ((ITaskInvoker)new Script()).RunTaskAsync(state, taskDefinition, environment, timeoutSeconds, cancellation) : Task.FromResult(Tasks(environment));

        public void Warning(Quetzal.Sdk.Diagnostics.Diagnostic diagnostic) { lock (Warnings) Warnings.Add(diagnostic); }

        public void StateStarted(string state, string type) { }
        public void StateEnded(string state, string type, TimeSpan duration, JsonNode? output) { lock (Ended) Ended.Add(state); }
        public void Note(string message) { lock (Notes) Notes.Add(message); }
    }

    private static async Task<JsonNode?> Run(string machine, string input, Script script)
        => await new Interpreter(script, script).RunAsync(JsonNode.Parse(machine)!.AsObject(), JsonNode.Parse(input), default);

    private static string Lambda(string next, string extra = "")
        => "{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"Parameters\":{\"FunctionName\":\"f\",\"Payload.$\":\"$\"}," + next + extra + "}";

    private static void Same(string expected, JsonNode? actual) => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual?.ToJsonString());

    [Fact]
    public async Task Paths_apply_in_the_specification_order()
    {
        var script = new Script();
        script.Steps["t"] = (payload, _) => new JsonObject { ["seen"] = payload!.DeepClone(), ["extra"] = 1 };
        var machine = """
            {"StartAt":"t","States":{"t":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
              "InputPath":"$.job",
              "Parameters":{"FunctionName":"f","Payload":{"n.$":"$.n","fixed":"x","scenario.$":"$$.Execution.Input.scenario"}},
              "ResultSelector":{"body.$":"$.Payload.seen"},
              "ResultPath":"$.job.result",
              "OutputPath":"$.job",
              "End":true}}}
            """;
        var output = await Run(machine, """{"scenario":"base","job":{"n":3}}""", script);
        Same("""{"n":3,"result":{"body":{"n":3,"fixed":"x","scenario":"base"}}}""", output);
    }

    [Fact]
    public async Task A_null_result_path_keeps_the_input_and_null_paths_give_empty_objects()
    {
        var script = new Script();
        script.Steps["t"] = (_, _) => JsonValue.Create("ignored");
        Same("""{"a":1}""", await Run("{\"StartAt\":\"t\",\"States\":{\"t\":" + Lambda("\"End\":true", ",\"ResultPath\":null") + "}}", """{"a":1}""", script));
        Same("{}", await Run("""{"StartAt":"p","States":{"p":{"Type":"Pass","OutputPath":null,"End":true}}}""", """{"a":1}""", script));
        Same("""{"a":1,"r":{}}""", await Run("""{"StartAt":"p","States":{"p":{"Type":"Pass","InputPath":null,"ResultPath":"$.r","End":true}}}""", """{"a":1}""", script));
    }

    [Fact]
    public async Task Pass_result_and_parameters_with_intrinsics()
    {
        var machine = """
            {"StartAt":"a","States":{
              "a":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.fixed","Next":"b"},
              "b":{"Type":"Pass","Parameters":{"msg.$":"States.Format('{} has {} links', $.name, $.links)","json.$":"States.JsonToString($.fixed)","list.$":"States.Array($.links, 'x')"},"End":true}}}
            """;
        Same("""{"msg":"paris has 12 links","json":"{\"x\":1}","list":[12,"x"]}""", await Run(machine, """{"name":"paris","links":12}""", new Script()));
    }

    [Theory]
    [InlineData("""{"Variable":"$.s","StringEquals":"peak"}""", true)]
    [InlineData("""{"Variable":"$.s","StringMatches":"pe*k"}""", true)]
    [InlineData("""{"Variable":"$.s","StringLessThan":"zzz"}""", true)]
    [InlineData("""{"Variable":"$.s","StringEqualsPath":"$.t"}""", false)]
    [InlineData("""{"Variable":"$.n","NumericEquals":2.5}""", true)]
    [InlineData("""{"Variable":"$.n","NumericGreaterThanEquals":3}""", false)]
    [InlineData("""{"Variable":"$.n","NumericLessThanPath":"$.m"}""", true)]
    [InlineData("""{"Variable":"$.b","BooleanEquals":true}""", true)]
    [InlineData("""{"Variable":"$.d","TimestampGreaterThan":"2026-01-01T00:00:00Z"}""", true)]
    [InlineData("""{"Variable":"$.d","TimestampLessThanEquals":"2026-01-01T00:00:00Z"}""", false)]
    [InlineData("""{"Variable":"$.missing","IsPresent":false}""", true)]
    [InlineData("""{"Variable":"$.z","IsNull":true}""", true)]
    [InlineData("""{"Variable":"$.n","IsNumeric":true}""", true)]
    [InlineData("""{"Variable":"$.s","IsString":true}""", true)]
    [InlineData("""{"Variable":"$.b","IsBoolean":true}""", true)]
    [InlineData("""{"Variable":"$.d","IsTimestamp":true}""", true)]
    [InlineData("""{"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Not":{"Variable":"$.s","StringEquals":"off"}}]}""", true)]
    [InlineData("""{"Or":[{"Variable":"$.n","NumericGreaterThan":10},{"Variable":"$.b","BooleanEquals":false}]}""", false)]
    public async Task Choice_rules_compare_as_specified(string rule, bool matches)
    {
        var rule2 = JsonNode.Parse(rule)!.AsObject();
        rule2["Next"] = "yes";
        var machine = new JsonObject
        {
            ["StartAt"] = "c",
            ["States"] = new JsonObject
            {
                ["c"] = new JsonObject { ["Type"] = "Choice", ["Choices"] = new JsonArray(rule2), ["Default"] = "no" },
                ["yes"] = new JsonObject { ["Type"] = "Pass", ["Result"] = "yes", ["End"] = true },
                ["no"] = new JsonObject { ["Type"] = "Pass", ["Result"] = "no", ["End"] = true },
            },
        };
        var output = await new Interpreter(new Script(), new Script()).RunAsync(machine,
            JsonNode.Parse("""{"s":"peak","t":"off","n":2.5,"m":3,"b":true,"d":"2026-06-01T08:00:00Z","z":null}"""), default);
        Assert.Equal(matches ? "yes" : "no", (string?)output);
    }

    [Fact]
    public async Task No_matching_choice_without_default_fails_the_execution()
    {
        var error = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(
            """{"StartAt":"c","States":{"c":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"c"}]}}}""", """{"n":2}""", new Script()));
        Assert.Equal("States.NoChoiceMatched", error.Error);
        Assert.Equal("c", error.State);
    }

    [Fact]
    public async Task Parallel_results_come_in_branch_order_whatever_finishes_first()
    {
        var script = new Script { Yield = true };
        using var secondDone = new ManualResetEventSlim();
        // Branch 1 ends only after branch 2 has: the order of the results cannot be the order of completion.
        script.Steps["p[branch 1] slow"] = (_, _) => { Assert.True(secondDone.Wait(TimeSpan.FromMinutes(1))); return JsonValue.Create("first"); };
        script.Steps["p[branch 2] fast"] = (_, _) => { secondDone.Set(); return JsonValue.Create("second"); };
        var machine = "{\"StartAt\":\"p\",\"States\":{\"p\":{\"Type\":\"Parallel\",\"End\":true,\"ResultSelector\":{\"a.$\":\"$[0].Payload\",\"b.$\":\"$[1].Payload\"},\"Branches\":["
            + "{\"StartAt\":\"slow\",\"States\":{\"slow\":" + Lambda("\"End\":true") + "}},"
            + "{\"StartAt\":\"fast\",\"States\":{\"fast\":" + Lambda("\"End\":true") + "}}]}}}";
        Same("""{"a":"first","b":"second"}""", await Run(machine, "{}", script));
    }

    [Fact]
    public async Task Map_runs_each_item_with_its_selector_and_keeps_item_order()
    {
        var script = new Script();
        var running = 0;
        var most = 0;
        script.Steps["m[item 0] work"] = script.Steps["m[item 1] work"] = script.Steps["m[item 2] work"] = (payload, _) =>
        {
            var now = Interlocked.Increment(ref running);
            lock (script) most = Math.Max(most, now);
            Thread.Sleep(50);
            Interlocked.Decrement(ref running);
            return JsonValue.Create($"{payload!["scenario"]}#{payload["index"]}:{payload["name"]}");
        };
        var machine = "{\"StartAt\":\"m\",\"States\":{\"m\":{\"Type\":\"Map\",\"ItemsPath\":\"$.zones\",\"MaxConcurrency\":1,"
            + "\"ItemSelector\":{\"scenario.$\":\"$.scenario\",\"index.$\":\"$$.Map.Item.Index\",\"name.$\":\"$$.Map.Item.Value.name\"},"
            + "\"ItemProcessor\":{\"StartAt\":\"work\",\"States\":{\"work\":" + Lambda("\"End\":true", ",\"OutputPath\":\"$.Payload\"") + "}},\"ResultPath\":\"$.results\",\"End\":true}}}";
        var output = await Run(machine, """{"scenario":"base","zones":[{"name":"a"},{"name":"b"},{"name":"c"}]}""", script);
        Same("""["base#0:a","base#1:b","base#2:c"]""", output!["results"]);
        Assert.Equal(1, most);
    }

    [Fact]
    public async Task Retry_counts_attempts_per_retrier_and_then_gives_up()
    {
        var script = new Script();
        script.Steps["t"] = (_, call) => throw new StateError("Lambda.ServiceException", $"call {call}");
        var machine = "{\"StartAt\":\"t\",\"States\":{\"t\":" + Lambda("\"End\":true",
            ",\"Retry\":[{\"ErrorEquals\":[\"Other\"],\"MaxAttempts\":5},{\"ErrorEquals\":[\"Lambda.ServiceException\"],\"MaxAttempts\":2,\"IntervalSeconds\":2}]") + "}}";
        var error = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(machine, "{}", script));
        Assert.Equal(3, script.Calls["t"]);
        Assert.Equal("Lambda.ServiceException", error.Error);
        Assert.Contains(script.Notes, n => n.Contains("would wait 4 s"));
    }

    [Fact]
    public async Task Retry_then_success_continues()
    {
        var script = new Script();
        script.Steps["t"] = (_, call) => call < 3 ? throw new StateError("Lambda.TooManyRequestsException", "slow down") : JsonValue.Create("ok");
        var machine = "{\"StartAt\":\"t\",\"States\":{\"t\":" + Lambda("\"End\":true", ",\"OutputPath\":\"$.Payload\",\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":6}]") + "}}";
        Assert.Equal("ok", (string?)await Run(machine, "{}", script));
        Assert.Equal(3, script.Calls["t"]);
    }

    [Fact]
    public async Task Catch_routes_by_error_name_and_merges_the_error_at_its_result_path()
    {
        var script = new Script();
        script.Steps["t"] = (_, _) => throw new StateError("StepFailed", "network_summary.py exited with code 3");
        var machine = "{\"StartAt\":\"t\",\"States\":{\"t\":" + Lambda("\"Next\":\"never\"",
            ",\"Catch\":[{\"ErrorEquals\":[\"Other\"],\"Next\":\"never\"},{\"ErrorEquals\":[\"States.TaskFailed\"],\"ResultPath\":\"$.failure\",\"Next\":\"handled\"}]")
            + ",\"never\":{\"Type\":\"Fail\"},\"handled\":{\"Type\":\"Succeed\"}}}";
        Same("""{"scenario":"base","failure":{"Error":"StepFailed","Cause":"network_summary.py exited with code 3"}}""", await Run(machine, """{"scenario":"base"}""", script));
    }

    [Fact]
    public async Task States_all_never_catches_a_runtime_error()
    {
        var machine = """{"StartAt":"p","States":{"p":{"Type":"Pass","InputPath":"$.nothing","End":true}}}""";
        var error = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(machine, "{}", new Script()));
        Assert.Equal("States.Runtime", error.Error);
    }

    [Fact]
    public async Task A_fail_state_inside_a_parallel_branch_fails_the_parallel_state_and_can_be_caught()
    {
        var machine = """
            {"StartAt":"p","States":{
              "p":{"Type":"Parallel","Branches":[{"StartAt":"f","States":{"f":{"Type":"Fail","Error":"Model.Diverged","Cause":"no convergence"}}}],
                   "Catch":[{"ErrorEquals":["Model.Diverged"],"Next":"recover"}],"End":true},
              "recover":{"Type":"Pass","Result":"recovered","End":true}}}
            """;
        Assert.Equal("recovered", (string?)await Run(machine, "{}", new Script()));
    }

    [Fact]
    public async Task Wait_is_not_slept_through_and_says_so()
    {
        var script = new Script();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        // On a clock that never moves, a Wait that slept would never end.
        await new Interpreter(script, script) { Time = time }
            .RunAsync(JsonNode.Parse("""{"StartAt":"w","States":{"w":{"Type":"Wait","Seconds":3600,"End":true}}}""")!.AsObject(), new JsonObject(), default)
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Contains(script.Notes, n => n.Contains("3600 s is not slept through"));
    }

    [Fact]
    public async Task Unsupported_resources_and_paths_are_named()
    {
        var sns = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(
            """{"StartAt":"n","States":{"n":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","End":true}}}""", "{}", new Script()));
        Assert.Equal("Quetzal.Unsupported", sns.Error);
        Assert.Contains("sns:publish", sns.Cause);
        var jsonata = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(
            """{"QueryLanguage":"JSONata","StartAt":"p","States":{"p":{"Type":"Pass","Output":"{% $states.input %}","End":true}}}""", "{}", new Script()));
        Assert.Equal("Quetzal.Unsupported", jsonata.Error);
        Assert.Contains("JSONata", jsonata.Cause);
    }

    [Fact]
    public async Task A_task_on_a_function_that_is_not_the_models_returns_its_payload_and_the_run_says_so()
    {
        var script = new Script();
        script.Steps["run"] = (payload, _) => new JsonObject { ["ran_with"] = payload?["token"]?.DeepClone() };
        const string model = "arn:aws:lambda:ca-central-1:000000000000:function:lyon";
        var machine = JsonNode.Parse("""
            {"StartAt": "Authorization", "States": {
              "Authorization": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
                "Parameters": {"FunctionName": "arn:aws:lambda:ca-central-1:000000000000:function:quetzal-api-auth:$LATEST", "Payload": {"token.$": "$.authorization"}}, "Next": "run"},
              "run": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
                "Parameters": {"FunctionName": "arn:aws:lambda:ca-central-1:000000000000:function:lyon:$LATEST", "Payload.$": "$"}, "End": true}}}
            """)!.AsObject();
        var output = await new Interpreter(script, script) { ModelFunctionArn = model }.RunAsync(machine, JsonNode.Parse("""{"authorization": "t0ken"}"""), default);
        Assert.Equal("t0ken", (string?)output!["ran_with"]);
        Assert.Equal(1, script.Calls["run"]);
        Assert.False(script.Calls.ContainsKey("Authorization"));
        Assert.Contains(script.Notes, n => n.Contains("State 'Authorization' invokes arn:aws:lambda:ca-central-1:000000000000:function:quetzal-api-auth:$LATEST, which is not the model's function", StringComparison.Ordinal));
    }

    /// <summary>A one-state run whose Lambda step takes <paramref name="takes"/> on a fake clock, started and waiting for the clock to move.</summary>
    private static async Task<(Microsoft.Extensions.Time.Testing.FakeTimeProvider Time, Script Script, Task<JsonNode?> Run)> StartLambdaStep(TimeSpan takes, int timeoutSeconds)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var script = new Script { Delay = takes, Time = time };
        script.Steps["t"] = (payload, _) => payload;
        var run = new Interpreter(script, script) { LambdaTimeoutSeconds = timeoutSeconds, Time = time }
            .RunAsync(JsonNode.Parse("{\"StartAt\":\"t\",\"States\":{\"t\":" + Lambda("\"End\":true") + "}}")!.AsObject(), JsonNode.Parse("""{"a":1}"""), default);
        await script.Invoked.Task;
        return (time, script, run);
    }

    [Fact]
    public async Task A_lambda_step_past_the_functions_timeout_finishes_with_a_warning_that_names_fargate()
    {
        // On a clock the test moves: the limit's note when the limit passes, the warning with the seconds the step ran.
        var (time, script, run) = await StartLambdaStep(TimeSpan.FromSeconds(2), timeoutSeconds: 1);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.DoesNotContain(script.Notes, n => n.Contains("still running", StringComparison.Ordinal));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains(script.Notes, n => n.Contains("t is still running after 1 s (QuetzalLambdaTimeout)", StringComparison.Ordinal));
        Assert.False(run.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(await run);
        var warning = Assert.Single(script.Warnings);
        Assert.Equal("QTZ5008", warning.Code);
        Assert.StartsWith("State 't' ran 2 s, past QuetzalLambdaTimeout (1 s)", warning.Message);
        Assert.Contains("Compute=\"ecs\"", warning.Message);
    }

    [Fact]
    public async Task A_lambda_step_within_the_functions_timeout_says_nothing_of_it()
    {
        var (time, script, run) = await StartLambdaStep(TimeSpan.FromMilliseconds(999), timeoutSeconds: 1);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.NotNull(await run);
        Assert.Empty(script.Warnings);
        Assert.DoesNotContain(script.Notes, n => n.Contains("still running", StringComparison.Ordinal));
    }

    private const string FargateMachine = """
        {"StartAt":"f","States":{"f":{"Type":"Task","Resource":"arn:aws:states:::ecs:runTask.sync","ResultPath":null,"End":true,
          "Parameters":{"Cluster":"c","TaskDefinition":"m-task:3","Overrides":{"ContainerOverrides":[{"Name":"m","Environment":[
            {"Name":"steps","Value":"[{\"name\":\"f\",\"path\":\"steps/f.py\"}]"},{"Name":"scenario_path","Value.$":"$.scenario_path_S3"},
            {"Name":"launcher_arg","Value.$":"States.JsonToString($.launcher_arg)"}]}]}}}}}
        """;

    [Fact]
    public async Task A_fargate_state_runs_its_container_with_the_environment_step_functions_would_give_it()
    {
        var script = new Script();
        IReadOnlyDictionary<string, string>? seen = null;
        script.Tasks = environment => { seen = environment; return 0; };
        Same("""{"scenario_path_S3":"base/","launcher_arg":{"p":1}}""", await Run(FargateMachine, """{"scenario_path_S3":"base/","launcher_arg":{"p":1}}""", script));
        Assert.Equal("base/", seen!["scenario_path"]);
        Assert.Equal("""{"p":1}""", seen["launcher_arg"]);
        Assert.Equal("""[{"name":"f","path":"steps/f.py"}]""", seen["steps"]);
    }

    [Fact]
    public async Task A_container_that_exits_non_zero_fails_the_state_with_states_task_failed()
    {
        var script = new Script { Tasks = _ => 3 };
        var failed = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(FargateMachine, """{"scenario_path_S3":"base/","launcher_arg":{}}""", script));
        Assert.Equal("States.TaskFailed", failed.Error);
        // The Cause is the stopped task, as Step Functions gives it to a Catch.
        var task = System.Text.Json.Nodes.JsonNode.Parse(failed.Cause)!;
        Assert.Equal(3, (int?)task["Containers"]![0]!["ExitCode"]);
        Assert.Equal("STOPPED", (string?)task["LastStatus"]);
    }
}
