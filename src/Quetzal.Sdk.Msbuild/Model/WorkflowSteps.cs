using Quetzal.Sdk.Core;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Model;

/// <summary>
/// <c>_common/steps.json</c>, which today's backend reads to run a container model directly:
/// <c>[{"name": "&lt;workflow&gt;", "steps": [{"name", "path"}, ...]}]</c>. The workflows are the ones params.json names
/// (its elements' <c>model</c>; none: "default"); each one's steps are the Tasks the state machine runs for it, in
/// order: Choices are followed as the run's <c>choice</c> would take them, Parallel branches and Map processors in turn.
/// </summary>
public static class WorkflowSteps
{
    /// <summary>The workflow of a params.json that names none (its variants' <c>model</c>): Quenedi's "default".</summary>
    public const string DefaultWorkflow = "default";

    public const string FileName = "steps.json";

    /// <summary>The workflows a scenario's params.json names, in order of appearance ("default" when it names none or cannot be read).</summary>
    public static IReadOnlyList<string> Workflows(string? paramsFile)
    {
        var names = new List<string>();
        try
        {
            if (paramsFile is not null && ModelFiles.Exists(paramsFile) && JsonNode.Parse(ModelFiles.ReadAllText(paramsFile)) is JsonArray elements)
                foreach (var element in elements.OfType<JsonObject>())
                {
                    IEnumerable<string?> models = element["model"] switch
                    {
                        JsonArray list => list.Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : null),
                        JsonValue value when value.TryGetValue<string>(out var s) => [s],
                        _ => [DefaultWorkflow],
                    };
                    foreach (var model in models)
                        if (model is not null && !names.Contains(model)) names.Add(model);
                }
        }
        catch (JsonException)
        {
            // Validation reports a params.json that is not JSON; steps.json then lists the default workflow.
        }
        return names.Count > 0 ? names : [DefaultWorkflow];
    }

    public static string Generate(string stateMachine, IReadOnlyList<string> workflows)
    {
        var machine = JsonNode.Parse(stateMachine)!.AsObject();
        var list = new JsonArray();
        foreach (var workflow in workflows)
        {
            var input = new JsonObject { ["choice"] = workflow };
            var steps = new List<StepEntry>();
            Walk(machine, input, steps);
            list.Add(new JsonObject
            {
                ["name"] = workflow,
                ["steps"] = new JsonArray(steps.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["path"] = s.Path }).ToArray()),
            });
        }
        return list.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static void Walk(JsonObject machine, JsonObject input, List<StepEntry> steps)
    {
        var states = machine["States"] as JsonObject ?? [];
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var current = (string?)machine["StartAt"];
        while (current is not null && visited.Add(current) && states[current] is JsonObject state)
        {
            switch ((string?)state["Type"])
            {
                case "Task":
                    if (NotebookPath(state["Parameters"]) is { } path) steps.Add(new StepEntry(current, path));
                    break;
                case "Parallel" or "Map":
                    foreach (var inner in StateMachineTree.Inner(state)) Walk(inner, input, steps);
                    break;
                case "Choice":
                    current = Choose(state, input);
                    continue;
                case "Succeed" or "Fail":
                    return;
            }
            current = (bool?)state["End"] == true ? null : (string?)state["Next"];
        }
    }

    /// <summary>The first rule the run's choice satisfies (a rule on anything else is taken as not matching), else Default.</summary>
    private static string? Choose(JsonObject state, JsonObject input)
    {
        foreach (var rule in (state["Choices"] as JsonArray ?? []).OfType<JsonObject>())
        {
            try
            {
                if (ChoiceRules.Evaluate(rule, input, new JsonObject())) return (string?)rule["Next"];
            }
            catch (Exception e) when (e is StateError or InvalidOperationException or FormatException)
            {
                // The rule reads what only a run has: not this workflow's way.
            }
        }
        return (string?)state["Default"];
    }

    /// <summary>The step a Task runs: notebook_path in its Parameters (a Fargate state) or its Lambda Payload.</summary>
    internal static string? NotebookPath(JsonNode? parameters)
    {
        if (parameters is not JsonObject p) return null;
        if (p["notebook_path"] is JsonValue direct && direct.TryGetValue<string>(out var path)) return path;
        return p["Payload"] is JsonObject payload && payload["notebook_path"] is JsonValue nested && nested.TryGetValue<string>(out var inner) ? inner : null;
    }
}
