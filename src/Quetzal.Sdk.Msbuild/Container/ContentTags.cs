namespace Quetzal.Sdk.Container;

/// <summary>
/// The image's content tags by the <see cref="BuildContext.Fingerprint"/> of the files they were made from, kept in
/// obj/ between publishes: a publish whose files are as they were asks the registry for the tag they had, without
/// reading and hashing the model and its library again (tens of MB for a library, at every no-op publish). A tag the
/// registry does not have, or files that changed, send the publish back to reading them. One line a fingerprint,
/// the latest last, the last <see cref="Kept"/> kept (going back to an earlier version of a file finds its tag).
/// </summary>
public sealed class ContentTags
{
    private const int Kept = 32;
    private readonly string? _path;
    private readonly List<(string Fingerprint, string Tag)> _entries;

    private ContentTags(string? path, List<(string, string)> entries)
    {
        _path = path;
        _entries = entries;
    }

    /// <summary>The tags kept in <paramref name="path"/> (none when null, missing or unreadable).</summary>
    public static ContentTags Load(string? path)
    {
        var entries = new List<(string, string)>();
        try
        {
            if (path is not null && File.Exists(path))
                foreach (var line in File.ReadAllLines(path))
                    if (line.Split('\t') is [{ Length: > 0 } fingerprint, { Length: > 0 } tag]) entries.Add((fingerprint, tag));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No record: the files are read.
        }
        return new ContentTags(path, entries);
    }

    /// <summary>The tag of files with this fingerprint, or null (none kept, or a fingerprint that cannot be trusted: empty).</summary>
    public string? Find(string fingerprint)
        => fingerprint.Length == 0 ? null : _entries.FindLast(e => e.Fingerprint == fingerprint).Tag;

    /// <summary>Keeps a tag read from the files themselves (best effort: a record that cannot be written only costs a read next time).</summary>
    public void Save(string fingerprint, string tag)
    {
        if (fingerprint.Length == 0 || _path is null) return;
        _entries.RemoveAll(e => e.Fingerprint == fingerprint);
        _entries.Add((fingerprint, tag));
        if (_entries.Count > Kept) _entries.RemoveRange(0, _entries.Count - Kept);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            Core.GeneratedFiles.WriteIfChanged(_path, string.Concat(_entries.Select(e => $"{e.Fingerprint}\t{e.Tag}\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
