using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Model;

/// <summary>
/// The JSONPath of the Amazon States Language (Jayway's, as Step Functions reads it). A path starts at the state's
/// input (<c>$</c>), the context object (<c>$$</c>) or a variable (<c>$name</c>); then names (<c>.a</c>,
/// <c>['a b']</c>), indexes (<c>[2]</c>, <c>[-1]</c>), and, in a Path but not a Reference Path, wildcards (<c>.*</c>,
/// <c>[*]</c>), slices (<c>[1:3]</c>), unions (<c>[0,2]</c>, <c>['a','b']</c>), deep scans (<c>..id</c>) and filters
/// (<c>[?(@.n &gt; 1)]</c>, <c>[?(@.flag)]</c>). A definite path gives its one value (a path that leads nowhere is
/// States.Runtime); an indefinite one gives the array of what it matched.
/// </summary>
public static class JsonPath
{
    /// <summary>What a path starts from.</summary>
    public enum Root { Input, Context, Variable }

    public abstract record Step
    {
        /// <summary>Whether the step selects one value at most (a name or an index).</summary>
        public virtual bool Definite => false;
    }

    public sealed record Name(string Value) : Step { public override bool Definite => true; }
    public sealed record Index(int Value) : Step { public override bool Definite => true; }
    public sealed record Wildcard : Step;
    public sealed record Slice(int? Start, int? End, int Step) : Step;
    public sealed record Union(IReadOnlyList<object> Members) : Step;
    public sealed record DeepScan(string? Name) : Step;
    public sealed record Filter(IReadOnlyList<Step> Operand, string? Operator, JsonNode? Literal) : Step;

    public sealed record Parsed(Root Root, string? Variable, IReadOnlyList<Step> Steps)
    {
        public bool Definite => Steps.All(s => s.Definite);
    }

    /// <summary>Whether a text is a path (not an intrinsic function or another expression).</summary>
    public static bool IsPath(string text) => text.StartsWith('$');

    public static Parsed Parse(string path)
    {
        if (!path.StartsWith('$')) throw new StateError("States.Runtime", $"'{path}' is not a path: it must start with '$'");
        var i = 1;
        var root = Root.Input;
        string? variable = null;
        if (path.StartsWith("$$", StringComparison.Ordinal))
        {
            root = Root.Context;
            i = 2;
        }
        else if (i < path.Length && (char.IsLetter(path[i]) || path[i] == '_'))
        {
            var end = i;
            while (end < path.Length && (char.IsLetterOrDigit(path[end]) || path[end] == '_')) end++;
            root = Root.Variable;
            variable = path[i..end];
            i = end;
        }
        var steps = new List<Step>();
        ParseSteps(path, ref i, steps, stopAt: null);
        return new Parsed(root, variable, steps);
    }

    private static void ParseSteps(string path, ref int i, List<Step> steps, char? stopAt)
    {
        while (i < path.Length)
        {
            var c = path[i];
            if (stopAt is { } stop && (c == stop || c == ' ' || c is '=' or '!' or '<' or '>')) return;
            if (c == '.' && i + 1 < path.Length && path[i + 1] == '.')
            {
                i += 2;
                if (i < path.Length && path[i] == '*') { i++; steps.Add(new DeepScan(null)); continue; }
                if (i < path.Length && path[i] == '[')
                {
                    steps.Add(new DeepScan(null));
                    continue;
                }
                var name = ReadName(path, ref i);
                steps.Add(new DeepScan(name));
            }
            else if (c == '.')
            {
                i++;
                if (i < path.Length && path[i] == '*') { i++; steps.Add(new Wildcard()); continue; }
                steps.Add(new Name(ReadName(path, ref i)));
            }
            else if (c == '[')
            {
                var end = Closing(path, i);
                var inner = path[(i + 1)..end].Trim();
                i = end + 1;
                steps.Add(Bracket(path, inner));
            }
            else throw Invalid(path, $"unexpected '{c}' at {i + 1}");
        }
    }

    private static string ReadName(string path, ref int i)
    {
        var start = i;
        while (i < path.Length && path[i] is not ('.' or '[' or ')' or ' ' or '=' or '!' or '<' or '>' or ',')) i++;
        var name = path[start..i];
        if (name.Length == 0) throw Invalid(path, $"a name is missing at {start + 1}");
        if (name.Contains('*') || name.Contains('@') || name.Contains('?')) throw Invalid(path, $"'{name}' is not a field name");
        return name;
    }

    /// <summary>The ']' that closes the '[' at <paramref name="open"/> (quotes and nested brackets skipped).</summary>
    private static int Closing(string path, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < path.Length; i++)
        {
            var c = path[i];
            if (quote is not null)
            {
                if (c == '\\') i++;
                else if (c == quote) quote = null;
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return i;
        }
        throw Invalid(path, "an unclosed '['");
    }

    private static Step Bracket(string path, string inner)
    {
        if (inner == "*") return new Wildcard();
        if (inner.StartsWith('?'))
        {
            var body = inner[1..].Trim();
            if (!body.StartsWith('(') || !body.EndsWith(')')) throw Invalid(path, $"the filter [{inner}] must be ?(...)");
            return ParseFilter(path, body[1..^1].Trim());
        }
        var members = SplitTopLevel(inner).Select(m => m.Trim()).ToList();
        if (members.Count == 1 && members[0].Contains(':') && !IsQuoted(members[0]))
        {
            var parts = members[0].Split(':');
            if (parts.Length > 3) throw Invalid(path, $"the slice [{inner}]");
            int? Part(int at) => at < parts.Length && parts[at].Trim().Length > 0
                ? int.TryParse(parts[at].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(path, $"the slice [{inner}]")
                : null;
            var step = Part(2) ?? 1;
            if (step == 0) throw Invalid(path, $"the slice [{inner}] has a step of 0");
            return new Slice(Part(0), Part(1), step);
        }
        var values = new List<object>();
        foreach (var member in members)
        {
            if (IsQuoted(member)) values.Add(Unquote(member));
            else if (int.TryParse(member, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)) values.Add(index);
            else throw Invalid(path, $"[{inner}] is neither an index nor a quoted name");
        }
        if (values.Count == 1) return values[0] is string name ? new Name(name) : new Index((int)values[0]);
        return new Union(values);
    }

    private static Filter ParseFilter(string path, string body)
    {
        if (!body.StartsWith('@')) throw Invalid(path, $"the filter ?({body}) must start with '@'");
        var i = 1;
        var operand = new List<Step>();
        ParseSteps(body, ref i, operand, stopAt: ')');
        var rest = body[i..].Trim();
        if (rest.Length == 0) return new Filter(operand, null, null);
        var op = new[] { "==", "!=", "<=", ">=", "<", ">" }.FirstOrDefault(o => rest.StartsWith(o, StringComparison.Ordinal))
            ?? throw Invalid(path, $"the filter ?({body}): an operator is missing");
        var literal = rest[op.Length..].Trim();
        JsonNode? value;
        if (IsQuoted(literal)) value = JsonValue.Create(Unquote(literal));
        else
        {
            try { value = JsonNode.Parse(literal); }
            catch (JsonException) { throw Invalid(path, $"the filter ?({body}): '{literal}' is not a value"); }
        }
        return new Filter(operand, op, value);
    }

    private static bool IsQuoted(string text) => text.Length >= 2 && (text[0] == '\'' && text[^1] == '\'' || text[0] == '"' && text[^1] == '"');

    private static string Unquote(string text) => text[1..^1].Replace("\\'", "'").Replace("\\\"", "\"");

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        char? quote = null;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == '\\') i++;
                else if (c == quote) quote = null;
            }
            else if (c is '\'' or '"') quote = c;
            else if (c == ',')
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static StateError Invalid(string path, string what) => new("States.Runtime", $"'{path}' is not a valid JSONPath: {what}");

    /// <summary>
    /// A Reference Path (ResultPath, a Choice rule's Variable): names and indexes only, one value. Null when it is one;
    /// else what it holds that is not allowed.
    /// </summary>
    public static string? NotAReferencePath(string path)
    {
        try
        {
            var parsed = Parse(path);
            var other = parsed.Steps.FirstOrDefault(s => !s.Definite);
            return other is null ? null : $"{other switch { Wildcard => "a wildcard", Slice => "a slice", Union => "a union", DeepScan => "a deep scan", _ => "a filter" }} (a reference path names one value)";
        }
        catch (StateError e)
        {
            return e.Cause;
        }
    }

    /// <summary>Selects a value; a definite path that leads nowhere is States.Runtime, as in Step Functions.</summary>
    public static JsonNode? Select(JsonNode? input, string path, JsonNode? context, Variables? variables = null)
    {
        var parsed = Parse(path);
        var start = parsed.Root switch
        {
            Root.Context => context,
            Root.Variable => variables is not null && variables.TryGet(parsed.Variable!, out var value) ? value
                : throw new StateError("States.Runtime", $"the variable ${parsed.Variable} in '{path}' has not been assigned"),
            _ => input,
        };
        if (parsed.Definite)
        {
            var node = start;
            foreach (var step in parsed.Steps)
            {
                node = step switch
                {
                    Name name when node is JsonObject o && o.TryGetPropertyValue(name.Value, out var child) => child,
                    Index index when node is JsonArray a && ArrayIndex(index.Value, a.Count) is { } at => a[at],
                    _ => throw new StateError("States.Runtime", $"the path '{path}' matches nothing in the {(parsed.Root == Root.Context ? "context object" : parsed.Root == Root.Variable ? "variable" : "input")}"),
                };
            }
            return node;
        }
        var matches = new List<JsonNode?> { start };
        foreach (var step in parsed.Steps) matches = Apply(step, matches);
        return new JsonArray(matches.Select(m => m?.DeepClone()).ToArray());
    }

    private static int? ArrayIndex(int index, int count)
    {
        var at = index < 0 ? count + index : index;
        return at >= 0 && at < count ? at : null;
    }

    private static List<JsonNode?> Apply(Step step, List<JsonNode?> nodes)
    {
        var next = new List<JsonNode?>();
        foreach (var node in nodes)
        {
            switch (step)
            {
                case Name name:
                    if (node is JsonObject o && o.TryGetPropertyValue(name.Value, out var child)) next.Add(child);
                    break;
                case Index index:
                    if (node is JsonArray a && ArrayIndex(index.Value, a.Count) is { } at) next.Add(a[at]);
                    break;
                case Wildcard:
                    if (node is JsonObject wo) next.AddRange(wo.Select(p => p.Value));
                    else if (node is JsonArray wa) next.AddRange(wa);
                    break;
                case Slice slice when node is JsonArray sa:
                    next.AddRange(SliceOf(sa, slice));
                    break;
                case Union union:
                    foreach (var member in union.Members)
                    {
                        if (member is string key && node is JsonObject uo && uo.TryGetPropertyValue(key, out var value)) next.Add(value);
                        else if (member is int number && node is JsonArray ua && ArrayIndex(number, ua.Count) is { } position) next.Add(ua[position]);
                    }
                    break;
                case DeepScan scan:
                    Descend(node, scan.Name, next);
                    break;
                case Filter filter:
                    IEnumerable<JsonNode?> candidates = node is JsonArray fa ? fa : node is JsonObject fo ? fo.Select(p => p.Value) : [];
                    next.AddRange(candidates.Where(c => Passes(filter, c)));
                    break;
            }
        }
        return next;
    }

    private static IEnumerable<JsonNode?> SliceOf(JsonArray array, Slice slice)
    {
        var count = array.Count;
        int Clamp(int? value, int fallback) => value is not { } v ? fallback : Math.Clamp(v < 0 ? count + v : v, 0, count);
        if (slice.Step > 0)
            for (var i = Clamp(slice.Start, 0); i < Clamp(slice.End, count); i += slice.Step) yield return array[i];
        else
            for (var i = slice.Start is null ? count - 1 : Math.Min(Clamp(slice.Start, 0), count - 1); i > (slice.End is null ? -1 : Clamp(slice.End, 0)); i += slice.Step) yield return array[i];
    }

    private static void Descend(JsonNode? node, string? name, List<JsonNode?> found)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (name is null || key == name) found.Add(value);
                    Descend(value, name, found);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    if (name is null) found.Add(item);
                    Descend(item, name, found);
                }
                break;
        }
    }

    private static bool Passes(Filter filter, JsonNode? candidate)
    {
        var values = new List<JsonNode?> { candidate };
        foreach (var step in filter.Operand) values = Apply(step, values);
        if (filter.Operator is null) return values.Count > 0;
        if (values.Count != 1) return false;
        var value = values[0];
        var literal = filter.Literal;
        int? order = (value, literal) switch
        {
            (JsonValue a, JsonValue b) when a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number => a.GetValue<double>().CompareTo(b.GetValue<double>()),
            (JsonValue a, JsonValue b) when a.GetValueKind() == JsonValueKind.String && b.GetValueKind() == JsonValueKind.String => string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>()),
            _ => null,
        };
        return filter.Operator switch
        {
            "==" => order is 0 || order is null && JsonNode.DeepEquals(value, literal),
            "!=" => !(order is 0 || order is null && JsonNode.DeepEquals(value, literal)),
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            ">=" => order >= 0,
            _ => false,
        };
    }

    public static bool Exists(JsonNode? input, string path, JsonNode? context = null, Variables? variables = null)
    {
        try
        {
            Select(input, path, context, variables);
            return true;
        }
        catch (StateError e) when (e.Error == "States.Runtime")
        {
            return false;
        }
    }

    /// <summary>
    /// ResultPath: the input with the result placed at the reference path (objects created as needed; an index
    /// replaces an item of an array that has it); '$' is the result alone. What cannot hold it is
    /// States.ResultPathMatchFailure.
    /// </summary>
    public static JsonNode? Merge(JsonNode? input, JsonNode? result, string path)
    {
        var parsed = Parse(path);
        if (parsed.Root != Root.Input || !parsed.Definite)
            throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}' is not a reference path into the state's input");
        var steps = parsed.Steps;
        if (steps.Count == 0) return result?.DeepClone();
        var root = input?.DeepClone() ?? new JsonObject();
        JsonNode current = root;
        for (var i = 0; i < steps.Count; i++)
        {
            var last = i == steps.Count - 1;
            switch (steps[i], current)
            {
                case (Name name, JsonObject o):
                    if (last) o[name.Value] = result?.DeepClone();
                    else
                    {
                        if (o[name.Value] is not (JsonObject or JsonArray))
                        {
                            if (steps[i + 1] is Index) throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}': '{name.Value}' is not an array in the input");
                            o[name.Value] = new JsonObject();
                        }
                        current = o[name.Value]!;
                    }
                    break;
                case (Index index, JsonArray a) when ArrayIndex(index.Value, a.Count) is { } at:
                    if (last) a[at] = result?.DeepClone();
                    else current = a[at] ?? throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}': item {at} is null");
                    break;
                default:
                    throw new StateError("States.ResultPathMatchFailure", $"ResultPath '{path}' cannot be applied to the state's input ({Describe(current)} at step {i + 1})");
            }
        }
        return root;
    }

    private static string Describe(JsonNode node) => node switch { JsonObject => "an object", JsonArray a => $"an array of {a.Count}", _ => "a value" };
}

/// <summary>
/// Workflow variables (Assign, read as $name): a scope per machine; a Parallel branch or Map iteration reads its
/// parent's and assigns its own, which its parent never sees.
/// </summary>
public sealed class Variables(Variables? parent = null)
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);

    public bool TryGet(string name, out JsonNode? value)
    {
        lock (_values)
            if (_values.TryGetValue(name, out value)) return true;
        if (parent is not null) return parent.TryGet(name, out value);
        value = null;
        return false;
    }

    public void Set(string name, JsonNode? value)
    {
        lock (_values) _values[name] = value?.DeepClone();
    }

    public Variables Child() => new(this);
}
