using Quetzal.Sdk.Core;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class ReadRecordTests : IDisposable
{
    private readonly TempDirectory _dir = new("reads");
    private readonly string _recordFile;
    private readonly string _file;

    public ReadRecordTests()
    {
        _recordFile = _dir.Combine("obj", "stage.reads");
        _file = _dir.Write("inputs/params.json", "[]");
        _dir.Write("inputs/other.json", "{}");
        Age(_file);
        Age(_dir.Combine("inputs", "other.json"));
    }

    public void Dispose() => _dir.Dispose();

    private static void Age(string file) => File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));

    /// <summary>A stage that reads one file and lists its folder, recorded and saved.</summary>
    private void Run(string settings = "a=1")
    {
        using var scope = ReadRecord.Begin();
        ModelFiles.ReadAllText(_file);
        _ = ModelFiles.Entries(_dir.Combine("inputs")).ToList();
        _ = ModelFiles.Exists(_dir.Combine("inputs", "absent.json"));
        scope.Record.Save(_recordFile, settings);
    }

    [Fact]
    public void Nothing_changed_after_a_recorded_run()
    {
        Run();
        Assert.Null(ReadRecord.Changed(_recordFile, "a=1"));
    }

    [Fact]
    public void An_edited_file_a_changed_setting_a_new_file_in_a_listed_folder_and_a_file_that_appears_are_each_a_change()
    {
        Run();
        Assert.Equal("a setting changed", ReadRecord.Changed(_recordFile, "a=2"));

        File.WriteAllText(_file, "[1]");
        Assert.Equal($"{Path.GetFullPath(_file)} changed", ReadRecord.Changed(_recordFile, "a=1"));
        Run();
        _dir.Write("inputs/new.json", "{}");
        Assert.NotNull(ReadRecord.Changed(_recordFile, "a=1"));
        File.Delete(_dir.Combine("inputs", "new.json"));
        Assert.Null(ReadRecord.Changed(_recordFile, "a=1"));
        _dir.Write("inputs/absent.json", "{}");
        Assert.NotNull(ReadRecord.Changed(_recordFile, "a=1"));
    }

    [Fact]
    public void No_record_is_kept_when_a_file_it_read_was_written_during_the_run()
    {
        using (var scope = ReadRecord.Begin())
        {
            ModelFiles.ReadAllText(_file);
            File.WriteAllText(_file, "[2]");
            scope.Record.Save(_recordFile, "a=1");
        }
        Assert.False(File.Exists(_recordFile));
        Assert.Equal("no record of a previous run", ReadRecord.Changed(_recordFile, "a=1"));
    }

    [Fact]
    public void Reads_are_recorded_from_parallel_work_and_nothing_is_recorded_outside_a_scope()
    {
        _ = ModelFiles.Exists(_file);
        using var scope = ReadRecord.Begin();
        Parallel.For(0, 8, i => ModelFiles.Exists(_dir.Combine("inputs", $"f{i}.json")));
        Assert.Equal(8, scope.Record.Count);
    }
}
