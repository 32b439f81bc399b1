using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Quetzal.Sdk.Core;

/// <summary>
/// What one stage of the build read from the disk, recorded by the code that reads it (through <see cref="ModelFiles"/>):
/// every file it opened or looked for, every folder it looked for or listed. A stage is up to date when its settings
/// are the same and every recorded read would give the same answer now; nothing else decides it, so a file that a
/// stage starts to read tomorrow is covered the day it is read through <see cref="ModelFiles"/>.
/// </summary>
/// <remarks>
/// A file's answer is its <see cref="FileStamp"/>; a folder's listing is the names it held. A record in which a file
/// changed while the stage ran, or one that is not <see cref="FileStamp">settled</see>, is not kept, so the next build
/// runs the stage again.
/// </remarks>
public sealed class ReadRecord
{
    private static readonly AsyncLocal<ReadRecord?> Ambient = new();


    private readonly ConcurrentDictionary<string, string> _reads = new(StringComparer.Ordinal);
    private volatile bool _unsettled;

    /// <summary>The record the current stage writes into (flows into its parallel work), or null when none is kept.</summary>
    public static ReadRecord? Current => Ambient.Value;

    /// <summary>Starts recording for the code that runs until the returned scope is disposed.</summary>
    public static Scope Begin()
    {
        var record = new ReadRecord();
        var previous = Ambient.Value;
        Ambient.Value = record;
        return new Scope(record, previous);
    }

    public sealed class Scope(ReadRecord record, ReadRecord? previous) : IDisposable
    {
        public ReadRecord Record { get; } = record;
        public void Dispose() => Ambient.Value = previous;
    }

    /// <summary>How many distinct reads were recorded.</summary>
    public int Count => _reads.Count;

    internal void File(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        _reads[$"file|{full}"] = FileStamp.Of(full, out var settled);
        if (!settled) _unsettled = true;
    }

    internal void Folder(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        _reads[$"folder|{full}"] = Directory.Exists(full) ? "yes" : "no";
    }

    internal void Listing(string path, string pattern, bool recursive, IReadOnlyList<string> entries)
    {
        var full = System.IO.Path.GetFullPath(path);
        _reads[$"{(recursive ? "tree" : "list")}:{pattern}|{full}"] = ListingAnswer(full, entries);
    }

    /// <summary>
    /// Writes the record with the settings it was made under, or deletes the record file when a read had not settled
    /// (the next build then runs the stage again).
    /// </summary>
    public void Save(string recordFile, string settings)
    {
        // A file written while the stage ran: what the stage learnt from it may be of neither version.
        if (_unsettled || _reads.Any(r => r.Key.StartsWith("file|", StringComparison.Ordinal) && FileStamp.Of(r.Key["file|".Length..], out _) != r.Value))
        {
            Forget(recordFile);
            return;
        }
        var text = new StringBuilder();
        text.Append("sdk\t").Append(SdkBuild.Id).Append('\n');
        text.Append("settings\t").Append(Hash(settings)).Append('\n');
        foreach (var (key, answer) in _reads.OrderBy(r => r.Key, StringComparer.Ordinal))
            text.Append(key.Replace('\t', ' ')).Append('\t').Append(answer).Append('\n');
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(recordFile))!);
        System.IO.File.WriteAllText(recordFile, text.ToString());
    }

    public static void Forget(string recordFile)
    {
        try { System.IO.File.Delete(recordFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Null when the record at <paramref name="recordFile"/> was made by this SDK under these settings and every read
    /// it holds answers the same now; else what changed, for the build log.
    /// </summary>
    public static string? Changed(string recordFile, string settings)
    {
        string[] lines;
        try
        {
            if (!System.IO.File.Exists(recordFile)) return "no record of a previous run";
            lines = System.IO.File.ReadAllLines(recordFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "its record could not be read";
        }
        if (lines.Length < 2 || lines[0] != $"sdk\t{SdkBuild.Id}") return "the SDK changed";
        if (lines[1] != $"settings\t{Hash(settings)}") return "a setting changed";
        foreach (var line in lines.Skip(2))
        {
            var tab = line.LastIndexOf('\t');
            var bar = line.IndexOf('|');
            if (tab < 0 || bar < 0 || bar > tab) return "its record could not be read";
            var (kind, path, answer) = (line[..bar], line[(bar + 1)..tab], line[(tab + 1)..]);
            var now = kind switch
            {
                "file" => FileStamp.Of(path, out _),
                "folder" => Directory.Exists(path) ? "yes" : "no",
                _ when kind.StartsWith("list:", StringComparison.Ordinal) => ListingAnswer(path, kind["list:".Length..], recursive: false),
                _ when kind.StartsWith("tree:", StringComparison.Ordinal) => ListingAnswer(path, kind["tree:".Length..], recursive: true),
                _ => null,
            };
            if (now != answer) return $"{path} changed";
        }
        return null;
    }

    private static string ListingAnswer(string path, string pattern, bool recursive)
        => Directory.Exists(path) ? ListingAnswer(path, ModelFiles.ListUnrecorded(path, pattern, recursive).ToList()) : "missing";

    private static string ListingAnswer(string path, IReadOnlyList<string> entries)
        => Hash(string.Join("\n", entries.Select(n => System.IO.Path.GetRelativePath(path, n)).Order(StringComparer.Ordinal)));

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
