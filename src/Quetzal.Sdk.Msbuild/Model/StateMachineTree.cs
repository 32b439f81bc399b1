using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Model;

/// <summary>The states of a state machine as a tree: a Parallel state's branches and a Map state's processor are machines of their own.</summary>
public static class StateMachineTree
{
    /// <summary>Every state, those of branches and processors included, depth first in the file's order.</summary>
    public static IEnumerable<(string Name, JsonObject State)> AllStates(JsonObject machine)
    {
        foreach (var (name, node) in machine["States"] as JsonObject ?? [])
        {
            if (node is not JsonObject state) continue;
            yield return (name, state);
            foreach (var inner in Inner(state))
                foreach (var found in AllStates(inner)) yield return found;
        }
    }

    /// <summary>The machines inside a state: a Parallel state's branches, a Map state's processor (ItemProcessor, or the older Iterator).</summary>
    public static IEnumerable<JsonObject> Inner(JsonObject state)
    {
        if (state["Branches"] is JsonArray branches) foreach (var branch in branches.OfType<JsonObject>()) yield return branch;
        if ((state["ItemProcessor"] ?? state["Iterator"]) is JsonObject processor) yield return processor;
    }
}
