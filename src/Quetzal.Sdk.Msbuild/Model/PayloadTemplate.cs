using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Model;

/// <summary>
/// Parameters, ItemSelector, ResultSelector and Assign: a JSON template whose fields ending in ".$" take their value
/// from a path (of the input, the context object or a variable) or from one of the 18 intrinsic functions of the
/// States Language. An intrinsic given the wrong arguments is States.IntrinsicFailure, as in Step Functions.
/// </summary>
public static class PayloadTemplate
{
    public static JsonNode? Apply(JsonNode? template, JsonNode? input, JsonNode? context, Variables? variables = null)
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
                        result[key[..^2]] = Evaluate(expression, input, context, variables)?.DeepClone();
                    }
                    else result[key] = Apply(value, input, context, variables);
                }
                return result;
            case JsonArray array:
                return new JsonArray(array.Select(item => Apply(item, input, context, variables)).ToArray());
            default:
                return template?.DeepClone();
        }
    }

    /// <summary>The value of a ".$" field: a path, or an intrinsic function call.</summary>
    public static JsonNode? Evaluate(string expression, JsonNode? input, JsonNode? context, Variables? variables = null)
    {
        expression = expression.Trim();
        if (JsonPath.IsPath(expression)) return JsonPath.Select(input, expression, context, variables);
        var parser = new Parser(expression);
        var call = parser.Call();
        parser.End();
        return Invoke(call, input, context, variables);
    }

    /// <summary>Null when the text is a path or a well-formed intrinsic call of a known function; else what is wrong with it.</summary>
    public static string? Problem(string expression)
    {
        expression = expression.Trim();
        try
        {
            if (JsonPath.IsPath(expression))
            {
                JsonPath.Parse(expression);
                return null;
            }
            if (!expression.StartsWith("States.", StringComparison.Ordinal)) return $"'{expression}' is neither a path (starting with '$') nor an intrinsic function (States.Format(...))";
            var parser = new Parser(expression);
            var call = parser.Call();
            parser.End();
            return Unknown(call);
        }
        catch (StateError e)
        {
            return e.Cause;
        }
    }

    private static string? Unknown(Call call)
    {
        if (!Arity.TryGetValue(call.Name, out var arity)) return $"{call.Name} is not an intrinsic function (there are {Arity.Count}: {string.Join(", ", Arity.Keys)})";
        if (call.Arguments.Count < arity.Min || call.Arguments.Count > arity.Max)
            return $"{call.Name} takes {(arity.Min == arity.Max ? arity.Min.ToString(CultureInfo.InvariantCulture) : arity.Max == int.MaxValue ? $"{arity.Min} or more" : $"{arity.Min} to {arity.Max}")} arguments, not {call.Arguments.Count}";
        return call.Arguments.OfType<Call>().Select(Unknown).FirstOrDefault(p => p is not null);
    }

    private static readonly Dictionary<string, (int Min, int Max)> Arity = new(StringComparer.Ordinal)
    {
        ["States.Format"] = (1, int.MaxValue), ["States.StringToJson"] = (1, 1), ["States.JsonToString"] = (1, 1),
        ["States.Array"] = (0, int.MaxValue), ["States.ArrayPartition"] = (2, 2), ["States.ArrayContains"] = (2, 2),
        ["States.ArrayRange"] = (3, 3), ["States.ArrayGetItem"] = (2, 2), ["States.ArrayLength"] = (1, 1),
        ["States.ArrayUnique"] = (1, 1), ["States.Base64Encode"] = (1, 1), ["States.Base64Decode"] = (1, 1),
        ["States.Hash"] = (2, 2), ["States.JsonMerge"] = (3, 3), ["States.MathRandom"] = (2, 3),
        ["States.MathAdd"] = (2, 2), ["States.StringSplit"] = (2, 2), ["States.UUID"] = (0, 0),
    };

    /// <summary>An argument: a literal (a string keeps its escapes, for States.Format), a path, or a nested call.</summary>
    private abstract record Argument;
    private sealed record Literal(JsonNode? Value, string? RawString) : Argument;
    private sealed record PathArgument(string Path) : Argument;
    private sealed record Call(string Name, IReadOnlyList<Argument> Arguments) : Argument;

    /// <summary>The intrinsic functions' grammar: Name(arg, ...) with 'strings' (\' \{ \} \\ escaped), numbers, true, false, null, paths and calls.</summary>
    private sealed class Parser(string text)
    {
        private int _at;

        private StateError Error(string what) => new("States.Runtime", $"'{text}': {what} at {_at + 1}");

        private void Skip()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        public void End()
        {
            Skip();
            if (_at != text.Length) throw Error("unexpected text after the call");
        }

        public Call Call()
        {
            Skip();
            var start = _at;
            while (_at < text.Length && (char.IsLetterOrDigit(text[_at]) || text[_at] == '.')) _at++;
            var name = text[start.._at];
            if (!name.StartsWith("States.", StringComparison.Ordinal)) throw Error("an intrinsic function (States.Name(...)) is expected");
            Skip();
            if (_at >= text.Length || text[_at] != '(') throw Error($"'(' is expected after {name}");
            _at++;
            var arguments = new List<Argument>();
            Skip();
            if (_at < text.Length && text[_at] == ')')
            {
                _at++;
                return new Call(name, arguments);
            }
            while (true)
            {
                arguments.Add(Argument());
                Skip();
                if (_at >= text.Length) throw Error($"')' is missing for {name}");
                if (text[_at] == ')') { _at++; return new Call(name, arguments); }
                if (text[_at] != ',') throw Error($"',' or ')' is expected in {name}");
                _at++;
            }
        }

        private Argument Argument()
        {
            Skip();
            if (_at >= text.Length) throw Error("an argument is missing");
            var c = text[_at];
            if (c == '\'') return StringLiteral();
            if (c == '$') return new PathArgument(PathText());
            if (text.AsSpan(_at).StartsWith("States.")) return Call();
            var start = _at;
            while (_at < text.Length && text[_at] is not (',' or ')') && !char.IsWhiteSpace(text[_at])) _at++;
            var word = text[start.._at];
            if (word is "true" or "false" or "null") return new Literal(JsonNode.Parse(word), null);
            if (double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && (char.IsDigit(word[0]) || word[0] == '-'))
                return new Literal(JsonNode.Parse(word), null);
            _at = start;
            throw Error($"'{word}' is not an argument (a 'string', a number, true, false, null, a path or an intrinsic function)");
        }

        private Literal StringLiteral()
        {
            var start = ++_at;
            var value = new StringBuilder();
            while (_at < text.Length && text[_at] != '\'')
            {
                if (text[_at] == '\\')
                {
                    if (_at + 1 >= text.Length) break;
                    value.Append(text[_at + 1]);
                    _at += 2;
                }
                else value.Append(text[_at++]);
            }
            if (_at >= text.Length) throw Error("an unclosed string");
            var raw = text[start.._at];
            _at++;
            return new Literal(JsonValue.Create(value.ToString()), raw);
        }

        private string PathText()
        {
            var start = _at;
            var depth = 0;
            char? quote = null;
            for (; _at < text.Length; _at++)
            {
                var c = text[_at];
                if (quote is not null)
                {
                    if (c == '\\') _at++;
                    else if (c == quote) quote = null;
                    continue;
                }
                if (c is '\'' or '"' && depth > 0) quote = c;
                else if (c is '[' or '(') depth++;
                else if (c is ']' && depth > 0) depth--;
                else if (c == ')' && depth > 0) depth--;
                else if (depth == 0 && (c is ',' or ')' || char.IsWhiteSpace(c))) break;
            }
            return text[start.._at];
        }
    }

    private static StateError Failure(string function, string what) => new("States.IntrinsicFailure", $"{function}: {what}");

    private static JsonNode? Invoke(Call call, JsonNode? input, JsonNode? context, Variables? variables)
    {
        if (Unknown(call) is { } problem)
            throw Arity.ContainsKey(call.Name) ? Failure(call.Name, problem[(call.Name.Length + 1)..]) : new StateError("States.Runtime", problem);
        var name = call.Name;
        JsonNode? Value(Argument argument) => argument switch
        {
            Literal literal => literal.Value?.DeepClone(),
            PathArgument path => JsonPath.Select(input, path.Path, context, variables)?.DeepClone(),
            Call nested => Invoke(nested, input, context, variables),
            _ => null,
        };
        var args = call.Arguments.Select(Value).ToList();

        string Text(int at) => args[at] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Failure(name, $"argument {at + 1} must be a string, not {Kind(args[at])}");
        JsonArray Array(int at) => args[at] as JsonArray ?? throw Failure(name, $"argument {at + 1} must be an array, not {Kind(args[at])}");
        long Integer(int at) => args[at] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is var d && d == Math.Floor(d) && Math.Abs(d) < 1e15
            ? (long)d : throw Failure(name, $"argument {at + 1} must be an integer, not {Kind(args[at])}");

        switch (name)
        {
            case "States.Format":
            {
                var template = call.Arguments[0] is Literal { RawString: { } raw } ? raw : Text(0);
                var escaped = call.Arguments[0] is Literal { RawString: not null };
                if (args[0] is not JsonValue tv || tv.GetValueKind() != JsonValueKind.String) throw Failure(name, "argument 1 must be a string");
                var output = new StringBuilder();
                var used = 1;
                for (var i = 0; i < template.Length; i++)
                {
                    var c = template[i];
                    if (escaped && c == '\\' && i + 1 < template.Length)
                    {
                        output.Append(template[++i]);
                        continue;
                    }
                    if (c == '{' && i + 1 < template.Length && template[i + 1] == '}')
                    {
                        if (used >= args.Count) throw Failure(name, $"the template has more {{}} than the {args.Count - 1} values given");
                        output.Append(FormatValue(name, args[used++]));
                        i++;
                        continue;
                    }
                    output.Append(c);
                }
                if (used != args.Count) throw Failure(name, $"the template has {used - 1} {{}} for {args.Count - 1} values");
                return JsonValue.Create(output.ToString());
            }
            case "States.StringToJson":
                try { return JsonNode.Parse(Text(0)); }
                catch (JsonException e) { throw Failure(name, $"the string is not JSON ({e.Message})"); }
            case "States.JsonToString":
                return JsonValue.Create(args[0] is null ? "null" : args[0]!.ToJsonString(StandardJson));
            case "States.Array":
                return new JsonArray(args.ToArray());
            case "States.ArrayPartition":
            {
                var items = Array(0);
                var size = Integer(1);
                if (size <= 0) throw Failure(name, $"the chunk size must be positive, not {size}");
                var chunks = new JsonArray();
                for (var i = 0; i < items.Count; i += (int)size)
                    chunks.Add(new JsonArray(items.Skip(i).Take((int)size).Select(x => x?.DeepClone()).ToArray()));
                return chunks;
            }
            case "States.ArrayContains":
                return JsonValue.Create(Array(0).Any(item => JsonNode.DeepEquals(item, args[1])));
            case "States.ArrayRange":
            {
                var (first, last, step) = (Integer(0), Integer(1), Integer(2));
                if (step == 0) throw Failure(name, "the step cannot be 0");
                var range = new JsonArray();
                for (var value = first; step > 0 ? value <= last : value >= last; value += step)
                {
                    if (range.Count == 1000) throw Failure(name, "the range has more than 1000 items");
                    range.Add(value);
                }
                return range;
            }
            case "States.ArrayGetItem":
            {
                var items = Array(0);
                var index = Integer(1);
                if (index < 0 || index >= items.Count) throw Failure(name, $"index {index} is outside the array of {items.Count}");
                return items[(int)index]?.DeepClone();
            }
            case "States.ArrayLength":
                return JsonValue.Create(Array(0).Count);
            case "States.ArrayUnique":
            {
                var unique = new List<JsonNode?>();
                foreach (var item in Array(0))
                    if (!unique.Any(u => JsonNode.DeepEquals(u, item))) unique.Add(item?.DeepClone());
                return new JsonArray(unique.ToArray());
            }
            case "States.Base64Encode":
            {
                var text = Text(0);
                if (text.Length > 10_000) throw Failure(name, "the string is longer than 10,000 characters");
                return JsonValue.Create(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)));
            }
            case "States.Base64Decode":
            {
                var text = Text(0);
                if (text.Length > 10_000) throw Failure(name, "the string is longer than 10,000 characters");
                try { return JsonValue.Create(Encoding.UTF8.GetString(Convert.FromBase64String(text))); }
                catch (FormatException) { throw Failure(name, "the string is not base64"); }
            }
            case "States.Hash":
            {
                var data = args[0] is JsonValue dv && dv.GetValueKind() == JsonValueKind.String ? dv.GetValue<string>() : args[0]?.ToJsonString(StandardJson) ?? "null";
                var bytes = Encoding.UTF8.GetBytes(data);
                var hash = Text(1) switch
                {
                    "MD5" => MD5.HashData(bytes),
                    "SHA-1" => SHA1.HashData(bytes),
                    "SHA-256" => SHA256.HashData(bytes),
                    "SHA-384" => SHA384.HashData(bytes),
                    "SHA-512" => SHA512.HashData(bytes),
                    var other => throw Failure(name, $"'{other}' is not an algorithm (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"),
                };
                return JsonValue.Create(Convert.ToHexStringLower(hash));
            }
            case "States.JsonMerge":
            {
                if (args[0] is not JsonObject left || args[1] is not JsonObject right) throw Failure(name, "the first two arguments must be objects");
                if (args[2] is not JsonValue deep || deep.GetValueKind() != JsonValueKind.False) throw Failure(name, "the third argument must be false (a shallow merge; Step Functions has no deep one)");
                var merged = (JsonObject)left.DeepClone();
                foreach (var (key, value) in right) merged[key] = value?.DeepClone();
                return merged;
            }
            case "States.MathRandom":
            {
                var (low, high) = (Integer(0), Integer(1));
                if (high <= low) throw Failure(name, $"the end ({high}) must be greater than the start ({low})");
                var random = args.Count == 3 ? new Random((int)Integer(2)) : Random.Shared;
                return JsonValue.Create(random.NextInt64(low, high));
            }
            case "States.MathAdd":
            {
                var (a, b) = (Integer(0), Integer(1));
                if (a is < int.MinValue or > int.MaxValue || b is < int.MinValue or > int.MaxValue) throw Failure(name, "the values must be 32-bit integers");
                return JsonValue.Create(a + b);
            }
            case "States.StringSplit":
                return new JsonArray(Text(0).Split(Text(1).ToCharArray(), StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            case "States.UUID":
                return JsonValue.Create(Guid.NewGuid().ToString());
            default:
                throw new StateError("States.Runtime", $"{name} is not an intrinsic function");
        }
    }

    /// <summary>A value States.Format puts in its template: a string as it is, a number, a boolean or null as JSON; an object or array is refused.</summary>
    private static string FormatValue(string function, JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw Failure(function, $"a value to format must be a string, number, boolean or null, not {Kind(value)}"),
    };

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch { JsonValueKind.String => "a string", JsonValueKind.Number => "a number", _ => "a boolean" },
        _ => "a value",
    };

    /// <summary>JSON as Step Functions writes it: characters as they are, only what JSON requires escaped.</summary>
    internal static readonly JsonSerializerOptions StandardJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
