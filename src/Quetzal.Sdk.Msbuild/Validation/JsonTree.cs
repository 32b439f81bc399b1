using Quetzal.Sdk.Core;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Quetzal.Sdk.Validation;

public enum JsonKind { Object, Array, String, Number, True, False, Null }

/// <summary>
/// A JSON value with the line and column where it starts. For the small files whose errors must point at a
/// member (params.json, the state machine); networks are never loaded whole (see <see cref="NetworkValidator"/>).
/// </summary>
public sealed class JsonTree
{
    public JsonKind Kind { get; private init; }
    public int Line { get; private init; }
    public int Column { get; private init; }
    public string? String { get; private init; }
    public double Number { get; private init; }
    public string? RawNumber { get; private init; }
    public IReadOnlyList<KeyValuePair<string, JsonTree>> Members { get; private init; } = [];
    public IReadOnlyList<JsonTree> Items { get; private init; } = [];

    public JsonTree? this[string name]
    {
        get
        {
            foreach (var m in Members)
                if (m.Key == name) return m.Value;
            return null;
        }
    }

    public bool IsString => Kind == JsonKind.String;
    public bool IsBoolean => Kind is JsonKind.True or JsonKind.False;

    public string Describe() => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.Null => "null",
        _ => "a boolean",
    };

    /// <summary>Parses UTF-8 JSON; throws <see cref="JsonSyntaxException"/> with a 1-based line and column.</summary>
    public static JsonTree Parse(byte[] utf8)
    {
        var start = JsonEncoding.Detect(utf8, out var notUtf8);
        if (notUtf8 is not null) throw new JsonEncodingException(notUtf8);
        var lines = new LineMap(utf8);
        var reader = new Utf8JsonReader(utf8.AsSpan(start), new JsonReaderOptions { MaxDepth = 128 });
        try
        {
            if (!reader.Read()) throw new JsonSyntaxException("the file is empty", 1, 1);
            var tree = Read(ref reader, lines, start);
            if (reader.Read()) throw new JsonSyntaxException("more than one JSON value", 1, 1);
            return tree;
        }
        catch (JsonException e)
        {
            throw JsonSyntaxException.From(e);
        }
        catch (InvalidOperationException)
        {
            // The reader checks structure, not the UTF-8 inside strings: reading such a string throws.
            var (line, column) = lines.Locate(start + (int)reader.TokenStartIndex);
            throw new JsonSyntaxException("a string here is not valid UTF-8; save the file as UTF-8", line, column);
        }
    }

    public static JsonTree Load(string path) => Parse(ModelFiles.ReadAllBytes(path));

    /// <summary>
    /// Loads a file for a validator: a syntax error is <paramref name="syntaxError"/> at its line and column, an
    /// encoding other than UTF-8 and an unreadable file have their own codes; null then.
    /// </summary>
    public static JsonTree? Load(string path, Diagnostics.DiagnosticDescriptor syntaxError, Diagnostics.DiagnosticBag bag)
    {
        try
        {
            return Load(path);
        }
        catch (JsonSyntaxException e)
        {
            bag.Add(syntaxError, path, e.Line, e.Column, e.Message);
        }
        catch (JsonEncodingException e)
        {
            bag.Add(Diagnostics.Codes.UnsupportedEncoding, path, 1, 1, e.Encoding);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bag.Add(Diagnostics.Codes.UnreadableFile, path, 0, 0, e.Message);
        }
        return null;
    }

    private static JsonTree Read(ref Utf8JsonReader reader, LineMap lines, int offset)
    {
        var (line, column) = lines.Locate(offset + (int)reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new List<KeyValuePair<string, JsonTree>>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    members.Add(new(name, Read(ref reader, lines, offset)));
                }
                return new JsonTree { Kind = JsonKind.Object, Line = line, Column = column, Members = members };
            case JsonTokenType.StartArray:
                var items = new List<JsonTree>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(Read(ref reader, lines, offset));
                return new JsonTree { Kind = JsonKind.Array, Line = line, Column = column, Items = items };
            case JsonTokenType.String:
                return new JsonTree { Kind = JsonKind.String, Line = line, Column = column, String = reader.GetString() };
            case JsonTokenType.Number:
                var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number);
                return new JsonTree { Kind = JsonKind.Number, Line = line, Column = column, Number = number, RawNumber = raw };
            case JsonTokenType.True:
                return new JsonTree { Kind = JsonKind.True, Line = line, Column = column };
            case JsonTokenType.False:
                return new JsonTree { Kind = JsonKind.False, Line = line, Column = column };
            default:
                return new JsonTree { Kind = JsonKind.Null, Line = line, Column = column };
        }
    }

    /// <summary>Byte offset to 1-based line and column, by binary search over line starts.</summary>
    private sealed class LineMap
    {
        private readonly List<int> _starts = [0];

        public LineMap(byte[] text)
        {
            var span = text.AsSpan();
            int i, at = 0;
            while ((i = span[at..].IndexOf((byte)'\n')) >= 0)
            {
                at += i + 1;
                _starts.Add(at);
            }
        }

        public (int Line, int Column) Locate(int offset)
        {
            var index = _starts.BinarySearch(offset);
            if (index < 0) index = ~index - 1;
            return (index + 1, offset - _starts[index] + 1);
        }
    }
}

/// <summary>A JSON syntax error with its 1-based position.</summary>
public sealed class JsonSyntaxException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    public static JsonSyntaxException From(JsonException e)
    {
        // System.Text.Json appends " LineNumber: n | BytePositionInLine: m." to its message: keep only the reason.
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        message = message.TrimEnd('.', ' ');
        // The reader's words are for programmers ("not supported in this mode. Change the reader options"): say it in a user's.
        if (message.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
            message = "the file ends inside an object or array: it looks truncated";
        else if (message.StartsWith("The JSON object contains a trailing comma", StringComparison.Ordinal))
            message = "a trailing comma before '}': JSON allows no comma after the last member of an object";
        else if (message.StartsWith("The JSON array contains a trailing comma", StringComparison.Ordinal))
            message = "a trailing comma before ']': JSON allows no comma after the last item of a list";
        else if (message.StartsWith("'/' is", StringComparison.Ordinal) || message.StartsWith("'#' is", StringComparison.Ordinal))
            message = $"a comment ({message[1]}...): JSON has no comments; delete it";
        else if (message.StartsWith("'<' is an invalid start of a value", StringComparison.Ordinal))
            message = "'<' cannot start a value: a placeholder such as <LAMBDA-FUNCTION-ARN> is no JSON value; write a quoted string";
        else if (message.StartsWith("Expected a ',' or '}' after a property value", StringComparison.Ordinal))
            message = "a ',' (or the closing '}') is missing after the value before this point";
        else if (message.StartsWith("'N' is an invalid start of a value", StringComparison.Ordinal) || message.StartsWith("'I' is an invalid start of a value", StringComparison.Ordinal) || message.StartsWith("'-' is invalid", StringComparison.Ordinal))
            message += " (NaN and Infinity are not JSON: Python's json.dump writes them, Quenedi cannot read them; write null instead)";
        return new JsonSyntaxException(message, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
    }
}

public sealed class JsonEncodingException(string encoding) : Exception(encoding)
{
    public string Encoding { get; } = encoding;
}
