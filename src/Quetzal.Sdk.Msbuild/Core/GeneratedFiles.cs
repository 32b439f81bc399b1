using System.Text;

namespace Quetzal.Sdk.Core;

/// <summary>
/// Files the SDK writes into the model folder carry a header; a file whose header was removed belongs to the
/// user and is never overwritten or deleted.
/// </summary>
public static class GeneratedFiles
{
    public const string Marker = "quetzal:generated";

    public static string Header(string sdkVersion) =>
        $"# {Marker} by Quetzal.Sdk {sdkVersion}. Do not edit: every build rewrites this file.\n" +
        "# To take it over, delete these two header lines; the SDK then leaves the file alone.\n";

    /// <summary>True when the file does not exist or starts with the SDK's header.</summary>
    public static bool IsOwnedBySdk(string path)
    {
        if (!File.Exists(path)) return true;
        using var reader = new StreamReader(path, Encoding.UTF8);
        return reader.ReadLine()?.Contains(Marker, StringComparison.Ordinal) == true;
    }

    /// <summary>Writes the content when it differs; returns whether the file changed.</summary>
    public static bool WriteIfChanged(string path, string content)
    {
        var bytes = new UTF8Encoding(false).GetBytes(content);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return false;
        // A name of its own: two builds of one folder at once (two admins granting access) each write theirs, and the
        // last move wins whole, instead of one moving the other's half-written or already moved file.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return true;
    }
}
