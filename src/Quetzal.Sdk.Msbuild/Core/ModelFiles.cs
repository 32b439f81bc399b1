using System.IO.Enumeration;

namespace Quetzal.Sdk.Core;

/// <summary>
/// The one way the SDK's stages read the model's files: each call does what its <see cref="File"/> or
/// <see cref="Directory"/> namesake does and records the read in the current <see cref="ReadRecord"/>, so that the
/// build's incrementality follows what the code really read (no hand-kept list of inputs to fall behind it).
/// <c>SourceRulesTests</c> fails when code under Validation/ or Model/ reads the disk any other way.
/// </summary>
public static class ModelFiles
{
    /// <summary>Records a file that is read elsewhere (by a worker process, or later by a reader given its path).</summary>
    public static string Read(string path)
    {
        ReadRecord.Current?.File(path);
        return path;
    }

    public static bool Exists(string path)
    {
        ReadRecord.Current?.File(path);
        return File.Exists(path);
    }

    public static bool FolderExists(string path)
    {
        ReadRecord.Current?.Folder(path);
        return Directory.Exists(path);
    }

    public static string ReadAllText(string path) => File.ReadAllText(Read(path));

    public static byte[] ReadAllBytes(string path) => File.ReadAllBytes(Read(path));

    public static string[] ReadAllLines(string path) => File.ReadAllLines(Read(path));

    public static IEnumerable<string> ReadLines(string path) => File.ReadLines(Read(path));

    public static FileStream OpenRead(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
        => new(Read(path), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);

    /// <summary>The entries (files and folders) directly in a folder, as full paths, in no set order.</summary>
    public static IEnumerable<string> Entries(string folder, string pattern = "*") => Listed(folder, pattern, recursive: false);

    /// <summary>The folders directly in a folder, as full paths, in no set order.</summary>
    public static IEnumerable<string> Folders(string folder) => Entries(folder).Where(Directory.Exists);

    /// <summary>Every file under a folder that is neither hidden nor a link, as full paths, in no set order.</summary>
    public static IEnumerable<string> Tree(string folder, string pattern = "*") => Listed(folder, pattern, recursive: true);

    /// <summary>One listing, recorded as it was read (when a record is kept, the folder is listed once, not twice).</summary>
    private static IEnumerable<string> Listed(string folder, string pattern, bool recursive)
    {
        if (ReadRecord.Current is not { } record) return ListUnrecorded(folder, pattern, recursive);
        var entries = ListUnrecorded(folder, pattern, recursive).ToList();
        record.Listing(folder, pattern, recursive, entries);
        return entries;
    }

    internal static IEnumerable<string> ListUnrecorded(string folder, string pattern, bool recursive)
        => recursive
            ? Visible(folder).Where(f => pattern == "*" || FileSystemName.MatchesSimpleExpression(pattern, Path.GetFileName(f)))
            : Directory.EnumerateFileSystemEntries(folder, pattern, new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0 });

    /// <summary>
    /// Every file under a folder that is the user's work, as full paths, in no set order: nothing under a folder or in a
    /// file whose name starts with '.' (Jupyter's <c>.ipynb_checkpoints</c>, <c>.git</c>, <c>.DS_Store</c>: hidden on
    /// macOS and Linux, and so skipped on Windows too, where Jupyter does not mark them hidden), nothing hidden, no
    /// <c>__pycache__</c>, no link. The one rule of the build, the image, the upload and the local run.
    /// </summary>
    public static IEnumerable<string> Visible(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden };
        return new FileSystemEnumerable<string>(folder, (ref FileSystemEntry entry) => entry.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && !IsSkippedName(entry.FileName),
            ShouldRecursePredicate = (ref FileSystemEntry entry) => !IsSkippedName(entry.FileName),
        };
    }

    /// <summary>A file or folder name that is never the user's work (see <see cref="Visible"/>).</summary>
    public static bool IsSkippedName(ReadOnlySpan<char> name) => name.StartsWith(".") || name.SequenceEqual("__pycache__");
}
