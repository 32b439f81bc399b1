using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Workflow;

namespace Quetzal.Sdk.Tests.Corpus;

/// <summary>
/// The local interpreter against the repository's corpus (tests/Quetzal.Sdk.Tests/Corpus/run/*.json): per rule of the
/// States Language specification (and of Step Functions where it decides), a machine, its input, what its Task states
/// do, and the output, error and path of states the specification prescribes.
/// </summary>
public sealed class AslRunCorpusTests
{
    public static TheoryData<string> Cases() => CorpusFiles.Cases("run");

    /// <summary>The Task states' behaviour, by state name: a result (default: the payload back), an error (always, or for one payload), a delay.</summary>
    private sealed class Steps(JsonObject? behaviour) : ITaskInvoker, IRunObserver
    {
        public ConcurrentQueue<string> Entered { get; } = new();
        public ConcurrentDictionary<string, int> Calls { get; } = new();

        public async Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
        {
            var name = state[(state.LastIndexOf("] ", StringComparison.Ordinal) is var at and >= 0 ? at + 2 : 0)..];
            Calls.AddOrUpdate(name, 1, (_, n) => n + 1);
            var step = behaviour?[name] as JsonObject;
            if ((double?)step?["delaySeconds"] is { } delay) await Task.Delay(TimeSpan.FromSeconds(delay), cancellation);
            if ((string?)step?["error"] is { } error && (step!["errorWhen"] is not { } when || JsonNode.DeepEquals(when, payload)))
                throw new StateError(error, (string?)step["cause"] ?? "");
            return step?.ContainsKey("result") == true ? step["result"]?.DeepClone() : payload?.DeepClone();
        }

        public void StateStarted(string state, string type) => Entered.Enqueue(state);
        public void StateEnded(string state, string type, TimeSpan duration, JsonNode? output) { }
        public void Note(string message) { }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_local_run_gives_what_the_specification_prescribes(string name)
    {
        var corpus = CorpusFiles.Case("run", name);
        var expect = corpus["expect"]!.AsObject();
        var steps = new Steps(corpus["steps"] as JsonObject);
        var interpreter = new Interpreter(steps, steps) { StateMachineName = "corpus-machine", Region = "ca-central-1", Account = "000000000000" };
        JsonNode? output = null;
        ExecutionFailedException? failure = null;
        try
        {
            output = await interpreter.RunAsync(corpus["machine"]!.AsObject(), corpus["input"]?.DeepClone(), default).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (ExecutionFailedException e)
        {
            failure = e;
        }
        var rule = (string?)corpus["rule"];
        if (expect["error"] is { } error)
        {
            Assert.True(failure is not null, $"{rule}: the execution should fail with {error}; it gave {output?.ToJsonString()}");
            Assert.Equal((string?)error, failure!.Error);
            if (expect["cause"] is { } cause) Assert.Equal((string?)cause, failure.Cause);
            if ((string?)expect["causeContains"] is { } part) Assert.Contains(part, failure.Cause);
            if (expect["failState"] is { } failState) Assert.Equal((bool)failState, failure.FailState);
        }
        else
        {
            Assert.True(failure is null, $"{rule}: the execution failed: {failure?.Error}: {failure?.Cause}");
            if (expect.ContainsKey("output"))
                Assert.True(JsonNode.DeepEquals(expect["output"], output), $"{rule}:\nexpected {expect["output"]?.ToJsonString()}\ngot      {output?.ToJsonString()}");
        }
        var entered = steps.Entered.ToList();
        if (expect["path"] is JsonArray path) Assert.Equal(path.Select(p => (string)p!), entered);
        foreach (var state in (expect["entered"] as JsonArray ?? []).Select(p => (string)p!)) Assert.Contains(state, entered);
        foreach (var state in (expect["notEntered"] as JsonArray ?? []).Select(p => (string)p!)) Assert.DoesNotContain(state, entered);
        foreach (var (state, count) in expect["calls"] as JsonObject ?? []) Assert.Equal((int)count!, steps.Calls.GetValueOrDefault(state));
    }
}
