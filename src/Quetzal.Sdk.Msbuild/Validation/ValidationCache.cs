using Quetzal.Sdk.Core;
using System.Collections.Concurrent;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// What validation found for each input it read, kept in obj/ between builds, so that a build re-validates only what
/// changed: a network (nodes and links together: the links' references depend on the nodes), a params.json, a
/// scenario's own files. An input counts as unchanged when every file it reads has the same size and write time (as
/// MSBuild, make and rsync judge files: <see cref="FileStamp"/>) and the SDK is the same build; what was learnt from a
/// file that is not settled is not kept, and it is validated again next time.
/// </summary>
public sealed class ValidationCache
{
    private sealed record Entry(string Fingerprint, List<DiagnosticRecord> Findings);


    private readonly ConcurrentDictionary<string, Entry> _entries;
    private readonly ConcurrentDictionary<string, Entry> _used = new();
    private readonly string? _path;

    private ValidationCache(string? path, ConcurrentDictionary<string, Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    /// <summary>No cache: everything is validated.</summary>
    public static ValidationCache None { get; } = new(null, new());

    /// <summary>The cache of the last build, or an empty one when there is none or it cannot be read.</summary>
    public static ValidationCache Load(string path)
    {
        try
        {
            if (File.Exists(path) && JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) is { } entries)
                return new ValidationCache(path, new ConcurrentDictionary<string, Entry>(entries));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be read is no cache: everything is validated, and it is written anew.
        }
        return new ValidationCache(path, new());
    }

    /// <summary>How many inputs the last <see cref="Run"/> calls validated, and how many they took from the cache.</summary>
    public int Validated => _validated;
    public int Reused => _reused;
    private int _validated, _reused;

    /// <summary>
    /// The findings of one input (a unit of work reading <paramref name="files"/>): from the cache when its files are as
    /// they were, else from <paramref name="validate"/>, then kept.
    /// </summary>
    public void Run(string key, IReadOnlyList<string> files, DiagnosticBag bag, Action<DiagnosticBag> validate)
    {
        var fingerprint = Fingerprint(files, out var settled);
        if (_path is not null && _entries.TryGetValue(key, out var kept) && kept.Fingerprint == fingerprint)
        {
            var findings = kept.Findings.Select(f => f.Restore()).ToList();
            if (findings.All(f => f is not null))
            {
                bag.AddRange(findings!);
                _used[key] = kept;
                Interlocked.Increment(ref _reused);
                return;
            }
        }
        var own = new DiagnosticBag();
        validate(own);
        bag.AddRange(own.Items);
        Interlocked.Increment(ref _validated);
        if (settled)
            _used[key] = new Entry(fingerprint, own.Items.Select(DiagnosticRecord.From).ToList());
    }

    /// <summary>Writes what this build used (inputs no longer validated drop out).</summary>
    public void Save()
    {
        if (_path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var text = JsonSerializer.Serialize(new SortedDictionary<string, Entry>(_used, StringComparer.Ordinal));
        Core.GeneratedFiles.WriteIfChanged(_path, text);
    }

    private static string Fingerprint(IReadOnlyList<string> files, out bool settled)
    {
        settled = true;
        var parts = new List<string> { SdkBuild.Id };
        foreach (var file in files)
        {
            // Recorded as read whether the findings come from the cache or from reading it now.
            parts.Add($"{ModelFiles.Read(file)}|{FileStamp.Of(file, out var fileSettled)}");
            settled &= fileSettled;
        }
        return string.Join("\n", parts);
    }
}
