using Quetzal.Sdk.Model;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Parameters, ItemSelector and ResultSelector: a JSON template whose fields ending in ".$" take their value from a
/// path or from an intrinsic function (States.Format, States.JsonToString, States.StringToJson, States.Array).
/// </summary>
public static partial class PayloadTemplate
{
    public static JsonNode? Apply(JsonNode? template, JsonNode? input, JsonNode? context)
    {
        switch (template)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (key.EndsWith(".$", StringComparison.Ordinal))
                    {
                        if (value is not JsonValue v || !v.TryGetValue<string>(out var expression))
                            throw new StateError("States.Runtime", $"the field '{key}' must hold a path or an intrinsic function");
                        result[key[..^2]] = Evaluate(expression, input, context)?.DeepClone();
                    }
                    else result[key] = Apply(value, input, context);
                }
                return result;
            case JsonArray array:
                return new JsonArray(array.Select(item => Apply(item, input, context)).ToArray());
            default:
                return template?.DeepClone();
        }
    }

    public static JsonNode? Evaluate(string expression, JsonNode? input, JsonNode? context)
    {
        expression = expression.Trim();
        if (expression.StartsWith('$')) return JsonPath.Select(input, expression, context);
        var call = CallPattern().Match(expression);
        if (!call.Success) throw new StateError("States.Runtime", $"'{expression}' is neither a path nor an intrinsic function");
        var name = call.Groups[1].Value;
        var args = Arguments(call.Groups[2].Value).Select(a => Argument(a, input, context)).ToList();
        switch (name)
        {
            case "States.Format":
                var format = args.Count > 0 ? args[0]?.GetValue<string>() ?? "" : "";
                var index = 1;
                return JsonValue.Create(Regex.Replace(format, @"\{\}", _ => index < args.Count ? Text(args[index++]) : ""));
            case "States.JsonToString":
                return JsonValue.Create(args[0]?.ToJsonString() ?? "null");
            case "States.StringToJson":
                return JsonNode.Parse(args[0]?.GetValue<string>() ?? "null");
            case "States.Array":
                return new JsonArray(args.Select(a => a?.DeepClone()).ToArray());
            default:
                throw new StateError("Quetzal.Unsupported", $"the intrinsic function {name}");
        }
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "null";

    private static JsonNode? Argument(string text, JsonNode? input, JsonNode? context)
    {
        text = text.Trim();
        if (text.StartsWith('$')) return JsonPath.Select(input, text, context);
        if (text.StartsWith('\'')) return JsonValue.Create(text[1..^1].Replace("\\'", "'"));
        if (text.StartsWith("States.", StringComparison.Ordinal)) return Evaluate(text, input, context);
        return JsonNode.Parse(text);
    }

    /// <summary>Splits an argument list at top-level commas (not inside quotes or nested calls).</summary>
    private static IEnumerable<string> Arguments(string text)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\') { i++; continue; }
            if (c == '\'') quoted = !quoted;
            else if (!quoted && c == '(') depth++;
            else if (!quoted && c == ')') depth--;
            else if (!quoted && depth == 0 && c == ',')
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        if (text[start..].Trim().Length > 0) yield return text[start..];
    }

    [GeneratedRegex(@"^(States\.[A-Za-z]+)\((.*)\)$", RegexOptions.Singleline)]
    private static partial Regex CallPattern();
}
