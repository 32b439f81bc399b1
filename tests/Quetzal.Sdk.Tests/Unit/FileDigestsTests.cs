using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>
/// The record of scenario files' contents between publishes: it may spare reading a file only when the file is
/// the one it describes, and must never tell "unchanged" of a file that may have changed.
/// </summary>
public sealed class FileDigestsTests : IDisposable
{
    private readonly TempDirectory _dir = new("digests");
    private readonly string _record;
    private readonly string _file;
    private static readonly DateTime LongAgo = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    public FileDigestsTests()
    {
        _record = _dir.Combine("obj", "scenario-digests.tsv");
        _file = _dir.Combine("links.geojson");
        Write(_file, "{\"type\":\"FeatureCollection\",\"features\":[]}", LongAgo);
    }

    public void Dispose() => _dir.Dispose();

    private static void Write(string path, string text, DateTime written)
    {
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, written);
    }

    private static FileInfo Info(string path) => new(path);

    private async Task<string> Md5Of(string path) => (await ScenarioPublisher.ETagsAsync(path, Info(path).Length, default))[0];

    [Fact]
    public async Task A_hashed_file_is_known_by_its_size_and_write_time_after_a_reload()
    {
        var digests = FileDigests.Load(_record);
        var info = Info(_file);
        Assert.Null(digests.Matches(_file, info.Length, info.LastWriteTimeUtc, "anything"));
        var etags = await digests.ComputeAsync(_file, info.Length, info.LastWriteTimeUtc, default);
        Assert.Equal([await Md5Of(_file)], etags);
        digests.Save();

        var again = FileDigests.Load(_record);
        Assert.True(again.Matches(_file, info.Length, info.LastWriteTimeUtc, etags[0]));
        // Hashed: another ETag is known not to be this content, without reading the file.
        Assert.False(again.Matches(_file, info.Length, info.LastWriteTimeUtc, "0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public async Task A_file_rewritten_with_the_same_size_is_read_again()
    {
        var digests = FileDigests.Load(_record);
        var info = Info(_file);
        var etag = (await digests.ComputeAsync(_file, info.Length, info.LastWriteTimeUtc, default))[0];
        digests.Save();

        Write(_file, "{\"type\":\"FeatureCollection\",\"features\":[ ]}"[..(int)info.Length], LongAgo.AddSeconds(30));
        var now = Info(_file);
        Assert.Equal(info.Length, now.Length);
        Assert.Null(FileDigests.Load(_record).Matches(_file, now.Length, now.LastWriteTimeUtc, etag));
    }

    [Fact]
    public async Task A_file_written_just_before_it_was_read_is_not_remembered()
    {
        // A later write could keep the same write time on a coarse file system: only reading again can tell.
        File.SetLastWriteTimeUtc(_file, DateTime.UtcNow);
        var info = Info(_file);
        var digests = FileDigests.Load(_record);
        var etag = (await digests.ComputeAsync(_file, info.Length, info.LastWriteTimeUtc, default))[0];
        digests.Uploaded(_file, info.Length, info.LastWriteTimeUtc, DateTime.UtcNow, etag);
        digests.Save();
        Assert.Null(FileDigests.Load(_record).Matches(_file, info.Length, info.LastWriteTimeUtc, etag));
    }

    [Fact]
    public void An_uploaded_file_is_known_by_the_servers_ETag_and_only_by_it()
    {
        var info = Info(_file);
        var digests = FileDigests.Load(_record);
        digests.Uploaded(_file, info.Length, info.LastWriteTimeUtc, DateTime.UtcNow, "etag-from-the-server");
        digests.Save();

        var again = FileDigests.Load(_record);
        Assert.True(again.Matches(_file, info.Length, info.LastWriteTimeUtc, "etag-from-the-server"));
        // Another ETag (the object was replaced since, or stored otherwise): the record cannot tell, the file is read.
        Assert.Null(again.Matches(_file, info.Length, info.LastWriteTimeUtc, "another"));
    }

    [Fact]
    public void A_file_changed_during_its_upload_is_not_remembered()
    {
        var (size, written) = (Info(_file).Length, Info(_file).LastWriteTimeUtc); // as planned
        var start = DateTime.UtcNow;
        Write(_file, "{\"type\":\"FeatureCollection\",\"features\":[1]}", LongAgo.AddMinutes(1));
        var digests = FileDigests.Load(_record);
        digests.Uploaded(_file, size, written, start, "etag");
        digests.Save();
        Assert.Null(FileDigests.Load(_record).Matches(_file, size, written, "etag"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("quetzal-file-digests 1 1 1\n10\t5\t1\tabc\t/x")] // other part sizes: other multipart ETags
    [InlineData("not a record at all\u0000\u0001")]
    public void A_record_from_elsewhere_or_damaged_is_not_trusted(string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_record)!);
        var info = Info(_file);
        File.WriteAllText(_record, content.Replace("/x", _file, StringComparison.Ordinal));
        Assert.Null(FileDigests.Load(_record).Matches(_file, info.Length, info.LastWriteTimeUtc, "abc"));
    }

    [Fact]
    public async Task Damaged_lines_are_skipped_and_deleted_files_forgotten()
    {
        var other = _dir.Combine("nodes.geojson");
        Write(other, "{}", LongAgo);
        var digests = FileDigests.Load(_record);
        foreach (var path in new[] { _file, other })
            await digests.ComputeAsync(path, Info(path).Length, Info(path).LastWriteTimeUtc, default);
        digests.Save();
        File.AppendAllText(_record, "12\tnot-a-time\t1\tabc\t" + _dir.Combine("x") + "\n");
        File.Delete(other);

        var again = FileDigests.Load(_record);
        Assert.True(again.Matches(_file, Info(_file).Length, LongAgo, await Md5Of(_file)));
        again.Uploaded(_file, Info(_file).Length, LongAgo, DateTime.UtcNow, "second-etag"); // a change, so it saves
        again.Save();
        var lines = File.ReadAllLines(_record);
        Assert.Equal(2, lines.Length); // the header and the file still there
        Assert.EndsWith("\t" + _file, lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_place_to_keep_it_nothing_is_remembered_or_written()
    {
        var digests = FileDigests.None();
        var info = Info(_file);
        var etag = (await digests.ComputeAsync(_file, info.Length, info.LastWriteTimeUtc, default))[0];
        digests.Save();
        Assert.False(File.Exists(_record));
        Assert.True(digests.Matches(_file, info.Length, info.LastWriteTimeUtc, etag)); // within one publish only
    }
}
