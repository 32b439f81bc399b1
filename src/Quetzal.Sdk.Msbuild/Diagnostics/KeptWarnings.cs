using System.Text.Json;

namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// The warnings of the last validation, one JSON object a line, in obj/: an incremental build that skips validation
/// (nothing it reads changed) says them again, so that they do not vanish from the build output and the error list.
/// </summary>
public static class KeptWarnings
{
    public static void Write(string path, IEnumerable<Diagnostic> warnings)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, warnings.Select(d => DiagnosticRecord.From(d).ToJson()));
    }

    /// <summary>The kept warnings: (code, file, line, column, message); none when the file is missing or not this format.</summary>
    public static IReadOnlyList<(string Code, string? File, int Line, int Column, string Message)> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var result = new List<(string, string?, int, int, string)>();
        foreach (var text in File.ReadLines(path))
        {
            if (DiagnosticRecord.Parse(text) is not { } line) return [];
            result.Add((line.Code, line.File, line.Line, line.Column, line.Message));
        }
        return result;
    }
}
