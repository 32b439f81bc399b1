namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Where runs' results live, so that runs can be compared file by file without copying by hand: the latest run of a
/// scenario (any mode) is always <c>bin/quetzal-run/bucket/&lt;scenario&gt;/</c>, and a new run moves the one before it
/// (a rename, however large its outputs) to <c>bin/quetzal-run/runs/&lt;scenario&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;mode&gt;/</c>.
/// The newest <see cref="Kept"/> earlier runs of a scenario are kept.
/// </summary>
public static class RunFolders
{
    public const int Kept = 10;
    private const string Latest = "latest.txt";

    /// <summary>The earlier runs of a scenario, and its <c>latest.txt</c> (the name the latest run's folder will get).</summary>
    public static string History(string runDirectory, string scenario) => Path.Combine(runDirectory, "runs", scenario);

    /// <summary>
    /// A run of <paramref name="scenario"/> in <paramref name="mode"/> begins to write its results: the previous run's
    /// are moved aside (their folder is returned, or null when there were none) and this run is recorded.
    /// </summary>
    public static string? Begin(string runDirectory, string scenario, string mode, DateTime started)
    {
        var latest = Path.Combine(runDirectory, "bucket", scenario);
        var history = History(runDirectory, scenario);
        Directory.CreateDirectory(history);
        var record = Path.Combine(history, Latest);
        string? kept = null;
        if (Directory.Exists(latest) && Directory.EnumerateFileSystemEntries(latest).Any())
        {
            var name = File.Exists(record) ? File.ReadAllText(record).Trim() : "";
            kept = Path.Combine(history, name.Length > 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 ? name : "earlier");
            if (Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
            Directory.Move(latest, kept);
        }
        else if (Directory.Exists(latest))
        {
            Directory.Delete(latest, recursive: true);
        }
        File.WriteAllText(record, $"{started:yyyyMMdd-HHmmss}-{mode}\n");
        foreach (var old in Directory.GetDirectories(history).OrderByDescending(Directory.GetLastWriteTimeUtc).Skip(Kept))
            Directory.Delete(old, recursive: true);
        return kept;
    }
}
