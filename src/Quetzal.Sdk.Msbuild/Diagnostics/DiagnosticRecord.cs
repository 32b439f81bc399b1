using System.Text.Json;

namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// A diagnostic as data, for what keeps or passes diagnostics outside a process's memory: the kept warnings of the
/// last validation, the validation cache, the network worker's answer. One JSON object, restored by its code.
/// </summary>
public sealed record DiagnosticRecord(string Code, string? File, int Line, int Column, string Message)
{
    public static DiagnosticRecord From(Diagnostic d) => new(d.Code, d.File, d.Line, d.Column, d.Message);

    /// <summary>The diagnostic again, or null when its code is none of this SDK's (a file of another version).</summary>
    public Diagnostic? Restore() => Codes.All.FirstOrDefault(c => c.Code == Code) is { } descriptor ? new Diagnostic(descriptor, Message, File, Line, Column) : null;

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>A line of JSON as a record, or null when it is not one.</summary>
    public static DiagnosticRecord? Parse(string json)
    {
        try { return JsonSerializer.Deserialize<DiagnosticRecord>(json); }
        catch (JsonException) { return null; }
    }
}
