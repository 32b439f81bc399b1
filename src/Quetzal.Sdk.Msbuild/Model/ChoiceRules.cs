using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quetzal.Sdk.Model;

/// <summary>Choice rules as the Amazon States Language defines them: comparisons on a Variable, And, Or, Not.</summary>
public static partial class ChoiceRules
{
    /// <summary>The comparisons of the States Language, by the kind of operand they take (the build's check reads these too).</summary>
    internal static readonly HashSet<string> StringOperators = ["StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals", "StringMatches"];
    internal static readonly HashSet<string> NumericOperators = ["NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals"];
    internal static readonly HashSet<string> TimestampOperators = ["TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals", "TimestampGreaterThanEquals"];
    internal static readonly HashSet<string> TypeTests = ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"];
    internal static readonly HashSet<string> Operators = [.. StringOperators, .. NumericOperators, .. TimestampOperators, .. TypeTests, "BooleanEquals"];

    public static bool Evaluate(JsonObject rule, JsonNode? input, JsonNode? context, Variables? variables = null)
    {
        if (rule["And"] is JsonArray and) return and.All(r => Evaluate(r!.AsObject(), input, context, variables));
        if (rule["Or"] is JsonArray or) return or.Any(r => Evaluate(r!.AsObject(), input, context, variables));
        if (rule["Not"] is JsonObject not) return !Evaluate(not, input, context, variables);

        var variable = (string?)rule["Variable"] ?? throw new StateError("States.Runtime", "a Choice rule has no Variable");
        foreach (var (key, operand) in rule)
        {
            if (key is "Variable" or "Next" or "Comment" or "Assign") continue;
            var isPath = key.EndsWith("Path", StringComparison.Ordinal) && key != "IsPath";
            var op = isPath ? key[..^4] : key;
            if (!Operators.Contains(op)) throw new StateError("Quetzal.Unsupported", $"the Choice operator {key}");

            if (op == "IsPresent") return JsonPath.Exists(input, variable, context, variables) == (bool)operand!;
            // A missing variable fails the rule rather than the execution only for IsPresent; otherwise States.Runtime.
            var value = JsonPath.Select(input, variable, context, variables);
            var other = isPath ? JsonPath.Select(input, (string)operand!, context, variables) : operand;
            return op switch
            {
                "IsNull" => (value is null) == (bool)other!,
                "IsNumeric" => IsKind(value, JsonValueKind.Number) == (bool)other!,
                "IsString" => IsKind(value, JsonValueKind.String) == (bool)other!,
                "IsBoolean" => (IsKind(value, JsonValueKind.True) || IsKind(value, JsonValueKind.False)) == (bool)other!,
                "IsTimestamp" => (Timestamp(value) is not null) == (bool)other!,
                "BooleanEquals" => IsBool(value, out var b) && IsBool(other, out var c) && b == c,
                "StringMatches" => String(value) is { } s && String(other) is { } pattern && Matches(s, pattern),
                _ when op.StartsWith("String", StringComparison.Ordinal) => String(value) is { } left && String(other) is { } right && Compare(op["String".Length..], string.CompareOrdinal(left, right)),
                _ when op.StartsWith("Numeric", StringComparison.Ordinal) => Number(value) is { } x && Number(other) is { } y && Compare(op["Numeric".Length..], x.CompareTo(y)),
                _ when op.StartsWith("Timestamp", StringComparison.Ordinal) => Timestamp(value) is { } t && Timestamp(other) is { } u && Compare(op["Timestamp".Length..], t.CompareTo(u)),
                _ => throw new StateError("Quetzal.Unsupported", $"the Choice operator {key}"),
            };
        }
        throw new StateError("States.Runtime", "a Choice rule has no comparison");
    }

    private static bool Compare(string relation, int order) => relation switch
    {
        "Equals" => order == 0,
        "LessThan" => order < 0,
        "GreaterThan" => order > 0,
        "LessThanEquals" => order <= 0,
        "GreaterThanEquals" => order >= 0,
        _ => false,
    };

    private static bool IsKind(JsonNode? node, JsonValueKind kind) => node is JsonValue v && v.GetValueKind() == kind;

    private static bool IsBool(JsonNode? node, out bool value)
    {
        value = false;
        return node is JsonValue v && v.TryGetValue(out value);
    }

    private static string? String(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    /// <summary>
    /// A timestamp as Step Functions reads one: RFC 3339 with an uppercase T, seconds, and an offset (Z, uppercase,
    /// or +hh:mm); fractions of a second allowed. Anything else is not a timestamp (IsTimestamp false, comparisons false).
    /// </summary>
    private static DateTimeOffset? Timestamp(JsonNode? node)
        => String(node) is { } s && IsTimestamp(s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;

    /// <summary>Whether a text is a timestamp as Step Functions reads one (see <see cref="Timestamp"/>).</summary>
    internal static bool IsTimestamp(string text) => Rfc3339().IsMatch(text);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    /// <summary>StringMatches: '*' matches any run of characters; '\*' is a literal star.</summary>
    private static bool Matches(string value, string pattern)
    {
        var regex = "^" + string.Join(".*", Regex.Split(pattern, @"(?<!\\)\*").Select(p => Regex.Escape(p.Replace("\\*", "*")))) + "$";
        return Regex.IsMatch(value, regex, RegexOptions.Singleline);
    }
}
