using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Model;

/// <summary>
/// The JSONPath of Amazon States Language: reference paths ($, $.a.b, $['a b'], $.list[2]) on the state's input,
/// and $$ on the context object. Wildcards and filters are not reference paths; they are refused with their text.
/// </summary>
public static class JsonPath
{
    public static IReadOnlyList<object> Parse(string path)
    {
        if (!path.StartsWith('$')) throw new StateError("States.Runtime", $"'{path}' is not a path: it must start with '$'");
        var parts = new List<object>();
        var i = path.StartsWith("$$", StringComparison.Ordinal) ? 2 : 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '[')) end++;
                var name = path[(i + 1)..end];
                if (name.Length == 0 || name.Contains('*') || name.Contains('@')) throw Unsupported(path);
                parts.Add(name);
                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0) throw new StateError("States.Runtime", $"'{path}': unclosed '['");
                var inner = path[(i + 1)..end].Trim();
                if (inner.Length >= 2 && inner[0] is '\'' or '"') parts.Add(inner[1..^1]);
                else if (int.TryParse(inner, out var index) && index >= 0) parts.Add(index);
                else throw Unsupported(path);
                i = end + 1;
            }
            else throw new StateError("States.Runtime", $"'{path}': unexpected '{path[i]}' at {i + 1}");
        }
        return parts;
    }

    private static StateError Unsupported(string path) => new("Quetzal.Unsupported", $"the JSONPath '{path}' (only reference paths: names and indexes)");

    /// <summary>Selects a value; a path that leads nowhere is States.Runtime, as in Step Functions.</summary>
    public static JsonNode? Select(JsonNode? input, string path, JsonNode? context)
    {
        var node = path.StartsWith("$$", StringComparison.Ordinal) ? context : input;
        foreach (var part in Parse(path))
        {
            node = part switch
            {
                string name when node is JsonObject o && o.TryGetPropertyValue(name, out var child) => child,
                int index when node is JsonArray a && index < a.Count => a[index],
                _ => throw new StateError("States.Runtime", $"the path '{path}' matches nothing in the input"),
            };
        }
        return node;
    }

    public static bool Exists(JsonNode? input, string path)
    {
        try
        {
            Select(input, path, null);
            return true;
        }
        catch (StateError e) when (e.Error == "States.Runtime")
        {
            return false;
        }
    }

    /// <summary>ResultPath: the input with the result placed at the path (created as needed); '$' is the result alone.</summary>
    public static JsonNode? Merge(JsonNode? input, JsonNode? result, string path)
    {
        var parts = Parse(path);
        if (parts.Count == 0) return result?.DeepClone();
        var root = input?.DeepClone() as JsonObject ?? (input is null ? new JsonObject() : throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}' needs an object input"));
        JsonObject current = root;
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is not string name) throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}' may name fields only");
            if (i == parts.Count - 1)
            {
                current[name] = result?.DeepClone();
                break;
            }
            if (current[name] is not JsonObject next)
            {
                next = new JsonObject();
                current[name] = next;
            }
            current = next;
        }
        return root;
    }
}
