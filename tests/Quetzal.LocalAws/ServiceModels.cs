using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quetzal.LocalAws;

/// <summary>
/// The AWS service models the SDKs are generated from (botocore's data/&lt;service&gt;/&lt;version&gt;/service-2.json,
/// which Debian's python3-botocore ships): every request the stand-in answers is checked against its operation's
/// input shape, member by member: names and their case, required members, types, ranges, lengths, enums, patterns.
/// A member the model does not declare is an error here (AWS may drop it; a client that sends one has a bug).
/// </summary>
internal sealed class ServiceModel
{
    private readonly JsonObject _shapes;
    private readonly JsonObject _operations;
    private readonly List<(string Method, Regex Path, string Operation)> _routes = new();

    private ServiceModel(JsonObject model)
    {
        _shapes = model["shapes"]!.AsObject();
        _operations = model["operations"]!.AsObject();
        foreach (var (name, operation) in _operations)
        {
            var http = operation!["http"]!;
            var uri = ((string)http["requestUri"]!).Split('?')[0];
            var pattern = "^" + Regex.Replace(Regex.Escape(uri), @"\\\{([A-Za-z0-9]+)\+?}", "(?<$1>[^/]+)") + "/?$";
            _routes.Add(((string)http["method"]!, new Regex(pattern), name));
        }
    }

    /// <summary>The newest model of a service under a botocore data folder (plain or gzipped), or null.</summary>
    public static ServiceModel? Load(string dataDirectory, string service)
    {
        var folder = Path.Combine(dataDirectory, service);
        if (!Directory.Exists(folder)) return null;
        foreach (var version in Directory.GetDirectories(folder).Order(StringComparer.Ordinal).Reverse())
        {
            var plain = Path.Combine(version, "service-2.json");
            if (File.Exists(plain)) return new ServiceModel(JsonNode.Parse(File.ReadAllText(plain))!.AsObject());
            var zipped = plain + ".gz";
            if (File.Exists(zipped))
            {
                using var stream = new GZipStream(File.OpenRead(zipped), CompressionMode.Decompress);
                return new ServiceModel(JsonNode.Parse(stream)!.AsObject());
            }
        }
        return null;
    }

    /// <summary>The REST operation a method and path name, with the path's members (the labels of its requestUri).</summary>
    public (string Operation, Dictionary<string, string> Labels)? Route(string method, string path)
    {
        foreach (var (routeMethod, pattern, operation) in _routes)
        {
            if (routeMethod != method) continue;
            var match = pattern.Match(path);
            if (!match.Success) continue;
            var labels = match.Groups.Keys.Where(k => !int.TryParse(k, out _)).ToDictionary(k => k, k => Uri.UnescapeDataString(match.Groups[k].Value));
            return (operation, labels);
        }
        return null;
    }

    public bool Has(string operation) => _operations.ContainsKey(operation);

    /// <summary>The first constraint the request breaks, in AWS's words, or null. <paramref name="labels"/>: the members the path carried.</summary>
    public string? Validate(string operation, JsonObject body, IReadOnlyDictionary<string, string>? labels = null)
    {
        if (_operations[operation]?["input"]?["shape"] is not JsonValue input) return body.Count == 0 ? null : $"{operation} takes no input";
        var shape = _shapes[(string)input!]!.AsObject();
        var errors = new List<string>();
        var members = shape["members"]?.AsObject() ?? new JsonObject();
        foreach (var required in (shape["required"] as JsonArray ?? []).Select(r => (string)r!))
        {
            var located = (string?)members[required]?["location"] is "uri";
            if (located ? labels?.ContainsKey((string?)members[required]!["locationName"] ?? required) != true : !body.ContainsKey(required))
                errors.Add($"Value null at '{Camel(required)}' failed to satisfy constraint: Member must not be null");
        }
        foreach (var (name, value) in body)
        {
            if (members[name] is not JsonObject member || member["location"] is not null)
            {
                errors.Add($"'{name}' is not a member of {(string)input!}: the model has {string.Join(", ", members.Where(m => m.Value!["location"] is null).Select(m => m.Key))}");
                continue;
            }
            Check(value, (string)member["shape"]!, Camel(name), errors);
        }
        return errors.Count == 0 ? null : $"{errors.Count} validation error{(errors.Count > 1 ? "s" : "")} detected: {string.Join("; ", errors)}";
    }

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private void Check(JsonNode? value, string shapeName, string at, List<string> errors)
    {
        var shape = _shapes[shapeName]!.AsObject();
        var type = (string)shape["type"]!;
        void Fail(string what) => errors.Add($"Value '{Text(value)}' at '{at}' failed to satisfy constraint: {what}");
        if (value is null) return;
        switch (type)
        {
            case "structure":
                if (value is not JsonObject obj) { Fail("Member must be a structure"); return; }
                var members = shape["members"]?.AsObject() ?? new JsonObject();
                foreach (var required in (shape["required"] as JsonArray ?? []).Select(r => (string)r!))
                    if (!obj.ContainsKey(required)) errors.Add($"Value null at '{at}.{Camel(required)}' failed to satisfy constraint: Member must not be null");
                foreach (var (name, member) in obj)
                {
                    if (members[name] is not JsonObject declared) { errors.Add($"'{name}' at '{at}' is not a member of {shapeName}: the model has {string.Join(", ", members.Select(m => m.Key))}"); continue; }
                    Check(member, (string)declared["shape"]!, $"{at}.{Camel(name)}", errors);
                }
                return;
            case "list":
                if (value is not JsonArray list) { Fail("Member must be a list"); return; }
                if (shape["min"] is { } minItems && list.Count < (int)minItems) Fail($"Member must have length greater than or equal to {minItems}");
                if (shape["max"] is { } maxItems && list.Count > (int)maxItems) Fail($"Member must have length less than or equal to {maxItems}");
                for (var i = 0; i < list.Count; i++) Check(list[i], (string)shape["member"]!["shape"]!, $"{at}.{i + 1}.member", errors);
                return;
            case "map":
                if (value is not JsonObject map) { Fail("Member must be a map"); return; }
                foreach (var (key, item) in map)
                {
                    Check(JsonValue.Create(key), (string)shape["key"]!["shape"]!, $"{at}.key", errors);
                    Check(item, (string)shape["value"]!["shape"]!, $"{at}.{key}", errors);
                }
                return;
            case "string":
                if (value is not JsonValue s || !s.TryGetValue<string>(out var text)) { Fail("Member must be a string"); return; }
                if (shape["enum"] is JsonArray values && !values.Any(v => (string?)v == text)) Fail($"Member must satisfy enum value set: [{string.Join(", ", values)}]");
                if (shape["min"] is { } minLength && text.Length < (int)minLength) Fail($"Member must have length greater than or equal to {minLength}");
                if (shape["max"] is { } maxLength && text.Length > (int)maxLength) Fail($"Member must have length less than or equal to {maxLength}");
                if ((string?)shape["pattern"] is { } pattern && Pattern(pattern) is { } regex && !regex.IsMatch(text)) Fail($"Member must satisfy regular expression pattern: {pattern}");
                return;
            case "integer" or "long":
                if (value is not JsonValue n || !n.TryGetValue<long>(out var number)) { Fail("Member must be an integer"); return; }
                if (shape["min"] is { } min && number < (long)min) Fail($"Member must have value greater than or equal to {min}");
                if (shape["max"] is { } max && number > (long)max) Fail($"Member must have value less than or equal to {max}");
                return;
            case "double" or "float":
                if (value is not JsonValue d || !d.TryGetValue<double>(out _)) Fail("Member must be a number");
                return;
            case "boolean":
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) Fail("Member must be a boolean");
                return;
        }
    }

    private static readonly Dictionary<string, Regex?> Patterns = new();

    /// <summary>A model's pattern as a .NET expression, anchored as AWS applies it; null for one .NET cannot read.</summary>
    private static Regex? Pattern(string pattern)
    {
        lock (Patterns)
        {
            if (Patterns.TryGetValue(pattern, out var known)) return known;
            Regex? regex;
            try { regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException) { regex = null; }
            return Patterns[pattern] = regex;
        }
    }

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null";
}
