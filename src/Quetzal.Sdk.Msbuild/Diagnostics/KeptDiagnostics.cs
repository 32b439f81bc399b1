namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// The warnings and messages a skippable task reported on its last run, kept beside its read record, so that a build
/// that skips it (nothing it read changed) reports them again, exactly as the run did.
/// </summary>
public static class KeptDiagnostics
{
    public static void Write(string path, IEnumerable<Diagnostic> diagnostics)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, diagnostics.Select(d => DiagnosticRecord.From(d).ToJson()));
    }

    /// <summary>The kept diagnostics; none when the file is missing or not of this SDK (a record of another SDK is never current anyway).</summary>
    public static IReadOnlyList<Diagnostic> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var result = new List<Diagnostic>();
        foreach (var text in File.ReadLines(path))
        {
            if (DiagnosticRecord.Parse(text)?.Restore() is not { } diagnostic) return [];
            result.Add(diagnostic);
        }
        return result;
    }
}
