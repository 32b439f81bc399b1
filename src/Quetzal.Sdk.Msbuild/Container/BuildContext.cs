using System.Formats.Tar;
using System.Security.Cryptography;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Container;

/// <summary>
/// The tar the SDK sends to the Docker engine: the model folder filtered by its .dockerignore, plus the SDK's
/// handler (and a local quetzal library, when asked) under <see cref="ContainerFiles.SdkContextFolder"/>. Entries
/// are sorted and carry fixed times and owners, so the same files always give the same bytes and the same
/// <see cref="ContentTag"/>; an unchanged model therefore maps to an image the registry already has.
/// </summary>
/// <summary>What the build context knows of the model folder beyond its .dockerignore.</summary>
/// <param name="SdkState">Paths the SDK writes in the model folder (obj/, bin/, the tfvars for infra/): never in an image.</param>
/// <param name="ScenariosFolder">The scenario data folder, relative to the model: in an image it is a warning (QTZ3009).</param>
public sealed record ContextRules(IReadOnlyList<string> SdkState, string ScenariosFolder)
{
    /// <summary>The rules for a model folder whose scenarios are in <paramref name="scenariosDirectory"/> (a full path).</summary>
    public static ContextRules For(string modelDirectory, string scenariosDirectory, IReadOnlyList<string> sdkState)
        => new(sdkState, Path.GetRelativePath(modelDirectory, scenariosDirectory).Replace('\\', '/'));
}

public sealed class BuildContext
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The secret patterns of the generated .dockerignore, applied even to a .dockerignore the user took over.</summary>
    private static readonly DockerIgnore Secrets = new(ContainerFiles.SecretPatterns);

    private BuildContext(byte[] tar, IReadOnlyList<string> entries, long fileBytes, int dataFiles, long dataBytes, string dockerfile)
    {
        Dockerfile = dockerfile;
        Tar = tar;
        Entries = entries;
        FileBytes = fileBytes;
        DataFiles = dataFiles;
        DataBytes = dataBytes;
        ContentTag = "q-" + Convert.ToHexStringLower(SHA256.HashData(tar))[..16];
    }

    public byte[] Tar { get; }
    public IReadOnlyList<string> Entries { get; }
    public long FileBytes { get; }

    /// <summary>The model's Dockerfile (its path in the model folder).</summary>
    public string Dockerfile { get; }

    /// <summary>How many files of <see cref="ContextRules.ScenariosFolder"/> the context holds (a taken-over .dockerignore let them through), and their size.</summary>
    public int DataFiles { get; }
    public long DataBytes { get; }

    /// <summary>A tag derived from everything the image is built from (Dockerfile and base image included).</summary>
    public string ContentTag { get; }

    public static BuildContext Create(string modelDirectory, string handlerDirectory, string? libraryDirectory, ContextRules? rules = null)
    {
        var ignore = DockerIgnore.Load(Path.Combine(modelDirectory, ".dockerignore"));
        // What the SDK keeps in the model folder never goes into an image, whatever the .dockerignore says.
        var sdkState = new DockerIgnore((rules?.SdkState ?? []).Select(p => Path.GetRelativePath(modelDirectory, p).Replace('\\', '/').TrimEnd('/'))
            .Where(p => p != "." && !p.StartsWith("..", StringComparison.Ordinal)));
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, relative) in Walk(modelDirectory))
        {
            // Docker always reads these two; the SDK's own folder name is reserved.
            if (relative is not ("Dockerfile" or ".dockerignore") && ignore.IsExcluded(relative)) continue;
            if (relative.StartsWith(ContainerFiles.SdkContextFolder + "/", StringComparison.Ordinal) || sdkState.IsExcluded(relative)) continue;
            files[relative] = path;
        }
        var data = rules?.ScenariosFolder is { Length: > 0 } folder
            ? files.Where(f => f.Key.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal)).Select(f => f.Value).ToList() : [];
        // Whatever the .dockerignore says, secrets never go into an image.
        var secret = files.Keys.FirstOrDefault(Secrets.IsExcluded);
        if (secret is not null) throw new QuetzalException(Codes.SecretInContext, secret);

        foreach (var (path, relative) in Walk(handlerDirectory))
            if (relative.EndsWith(".py", StringComparison.Ordinal)) files[$"{ContainerFiles.SdkContextFolder}/handler/{relative}"] = path;
        if (!string.IsNullOrEmpty(libraryDirectory))
        {
            var libraryIgnore = new DockerIgnore(ContainerFiles.IgnoredPatterns.Where(p => p != "scenarios"));
            foreach (var (path, relative) in Walk(libraryDirectory))
                if (!libraryIgnore.IsExcluded(relative)) files[$"{ContainerFiles.SdkContextFolder}/library/{relative}"] = path;
        }

        using var buffer = new MemoryStream();
        long bytes = 0;
        // GNU format: long names without PAX headers, whose names carry the writing process's id.
        using (var writer = new TarWriter(buffer, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var (relative, path) in files)
            {
                var entry = new GnuTarEntry(TarEntryType.RegularFile, relative)
                {
                    ModificationTime = FixedTime, AccessTime = FixedTime, ChangeTime = FixedTime, Uid = 0, Gid = 0, UserName = "", GroupName = "",
                    Mode = IsExecutable(path) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                };
                using var content = Open(path, relative);
                bytes += content.Length;
                entry.DataStream = content;
                writer.WriteEntry(entry);
            }
        }
        return new BuildContext(buffer.ToArray(), files.Keys.ToArray(), bytes, data.Count, data.Sum(f => new FileInfo(f).Length), Path.Combine(modelDirectory, "Dockerfile"));
    }

    private static FileStream Open(string path, string relative)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QuetzalException(Codes.ContextFileUnreadable, relative, e.Message.TrimEnd('.'));
        }
    }

    /// <summary>Every file below a folder, without following links out of it.</summary>
    private static IEnumerable<(string Path, string Relative)> Walk(string root)
    {
        if (!Directory.Exists(root)) yield break;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var path in Directory.EnumerateFiles(root, "*", options))
            yield return (path, Path.GetRelativePath(root, path).Replace('\\', '/'));
    }

    private static bool IsExecutable(string path)
        => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
}
