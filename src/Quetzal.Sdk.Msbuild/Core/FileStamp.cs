namespace Quetzal.Sdk.Core;

/// <summary>
/// How the SDK tells whether a file changed between two builds: its size and write time (as MSBuild, make and rsync
/// judge files), or its absence. The stamp is taken before the file is read, so a write that lands during the read
/// changes the write time after the stamp and is seen by the next build. Where the file system keeps whole seconds
/// only (FAT, HFS+, some network shares), two writes in one second look the same: a file that recent is not "settled",
/// and what was learnt from it is not kept.
/// </summary>
public static class FileStamp
{
    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(2);

    public static string Of(string path, out bool settled)
    {
        settled = true;
        var info = new FileInfo(path);
        if (!info.Exists) return "missing";
        var written = info.LastWriteTimeUtc;
        if (written.Ticks % TimeSpan.TicksPerSecond == 0 && DateTime.UtcNow - written < Settling) settled = false;
        return $"{info.Length}:{written.Ticks}";
    }
}
