using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// What the publisher knows of local files' contents between publishes: for a file of a given size and last write
/// time, the ETags that match it (computed from its bytes, or given by the server when this file was uploaded).
/// A no-op publish of a model whose networks weigh hundreds of MB then compares the bucket's listing with this
/// record instead of reading every byte again. A file whose size or write time differs is read again, as rsync,
/// make and MSBuild judge files; so is one whose write time was too close to the moment it was read to tell a later
/// write apart (file systems keep times to 2 s at worst), and one whose remote ETag the record does not explain.
/// Kept in the model's obj/ folder (one line per file); a record that cannot be read is ignored, never trusted.
/// </summary>
public sealed class FileDigests
{
    /// <summary>Records are only valid for the part split the ETags were computed with.</summary>
    private static readonly string Header = string.Create(CultureInfo.InvariantCulture,
        $"quetzal-file-digests 1 {ScenarioPublisher.MultipartThreshold} {ScenarioPublisher.PartSize}");

    /// <summary>The coarsest write-time resolution of the file systems a model lives on (FAT: 2 s).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    private sealed record Entry(long Size, long WrittenTicks, bool Hashed, string[] ETags);

    private readonly string? _path;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _changed;

    private FileDigests(string? path) => _path = path;

    /// <summary>Nothing remembered, nothing saved.</summary>
    public static FileDigests None() => new(null);

    /// <summary>The record kept at <paramref name="path"/> (empty when it is missing or unreadable).</summary>
    public static FileDigests Load(string path)
    {
        var digests = new FileDigests(path);
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
            if (reader.ReadLine() != Header) return digests;
            while (reader.ReadLine() is { } line)
            {
                // size, write time, hashed, ETags, path: the path last, as it is the one field that may hold anything.
                var fields = line.Split('\t', 5);
                if (fields.Length == 5
                    && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && fields[3].Length > 0)
                    digests._entries[fields[4]] = new Entry(size, ticks, fields[2] == "1", fields[3].Split(','));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable: every file is read, as on a first publish.
        }
        return digests;
    }

    /// <summary>
    /// Whether the server's object with this ETag holds this file's content: true or false when the record knows,
    /// null when only reading the file can tell.
    /// </summary>
    public bool? Matches(string path, long size, DateTime writtenUtc, string etag)
    {
        if (!_entries.TryGetValue(path, out var entry) || entry.Size != size || entry.WrittenTicks != writtenUtc.Ticks) return null;
        if (entry.ETags.Contains(etag, StringComparer.Ordinal)) return true;
        return entry.Hashed ? false : null;
    }

    /// <summary>The ETags of the file's content, read from its bytes, remembered for next time.</summary>
    public async Task<IReadOnlyList<string>> ComputeAsync(string path, long size, DateTime writtenUtc, CancellationToken cancellation)
    {
        var start = DateTime.UtcNow;
        var etags = await ScenarioPublisher.ETagsAsync(path, size, cancellation);
        if (Settled(path, size, writtenUtc, start)) Put(path, new Entry(size, writtenUtc.Ticks, true, etags.ToArray()));
        return etags;
    }

    /// <summary>
    /// The server stored this file (as it was when planned, read from <paramref name="startUtc"/> on) under this
    /// ETag: a listing that shows it again shows this content.
    /// </summary>
    public void Uploaded(string path, long size, DateTime writtenUtc, DateTime startUtc, string etag)
    {
        if (etag.Length == 0 || etag.AsSpan().IndexOfAny(",\t\r\n") >= 0 || !Settled(path, size, writtenUtc, startUtc)) return;
        _entries.AddOrUpdate(path,
            _ => new Entry(size, writtenUtc.Ticks, false, [etag]),
            (_, old) => old.Size == size && old.WrittenTicks == writtenUtc.Ticks
                ? old.ETags.Contains(etag, StringComparer.Ordinal) ? old : old with { ETags = [.. old.ETags, etag] }
                : new Entry(size, writtenUtc.Ticks, false, [etag]));
        Interlocked.Exchange(ref _changed, 1);
    }

    /// <summary>
    /// Whether what was read from <paramref name="startUtc"/> on is the file of this size and write time, and no
    /// later write could keep that write time.
    /// </summary>
    private static bool Settled(string path, long size, DateTime writtenUtc, DateTime startUtc)
    {
        var now = new FileInfo(path);
        return now.Exists && now.Length == size && now.LastWriteTimeUtc == writtenUtc && writtenUtc < startUtc - Settle;
    }

    private void Put(string path, Entry entry)
    {
        _entries[path] = entry;
        Interlocked.Exchange(ref _changed, 1);
    }

    /// <summary>Writes the record if it changed (whole, then renamed over the old one); a failure only costs a re-read next time.</summary>
    public void Save()
    {
        if (_path is null || Interlocked.Exchange(ref _changed, 0) == 0) return;
        var temporary = $"{_path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false)))
            {
                writer.Write(Header);
                writer.Write('\n');
                // Files deleted since are forgotten.
                foreach (var (path, entry) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    if (path.Contains('\n', StringComparison.Ordinal) || path.Contains('\r', StringComparison.Ordinal) || !File.Exists(path)) continue;
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"{entry.Size}\t{entry.WrittenTicks}\t{(entry.Hashed ? 1 : 0)}\t{string.Join(',', entry.ETags)}\t{path}\n"));
                }
            }
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(temporary);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
