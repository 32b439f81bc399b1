using Quetzal.Sdk.Core;
using System.Formats.Tar;
using System.Security.Cryptography;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Container;

/// <summary>
/// The tar the SDK sends to the Docker engine: the model folder filtered by its .dockerignore (under
/// <see cref="ContainerFiles.ModelContextFolder"/> for a Dockerfile that copies it from there), plus the SDK's
/// handler (and a local quetzal library, filtered as a Python package, when asked) under <see cref="ContainerFiles.SdkContextFolder"/>. Entries
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

/// <summary>A file the image is made of: where it is, its size and its write time (UTC ticks).</summary>
public readonly record struct ImageInput(string Path, long Size, long WriteTicks);

public sealed class BuildContext
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The secret patterns of the generated .dockerignore, applied even to a .dockerignore the user took over.</summary>
    private static readonly DockerIgnore Secrets = new(ContainerFiles.SecretPatterns);

    private readonly Lazy<ReadOnlyMemory<byte>> _tar;
    private readonly Lazy<string> _contentTag;

    private BuildContext(Func<ReadOnlyMemory<byte>> pack, IReadOnlyList<string> entries, long fileBytes, int dataFiles, long dataBytes, string dockerfile, string fingerprint, StagedBuild? stages)
    {
        Dockerfile = dockerfile;
        Stages = stages;
        _tar = new(pack);
        // Staged: the dependencies' hash (kept by their files' fingerprint) and the model's files, so that a step edit
        // reads the model's files only; else the whole context's bytes.
        _contentTag = new(() => stages?.ContentTag ?? "q-" + Convert.ToHexStringLower(SHA256.HashData(Tar.Span))[..16]);
        Entries = entries;
        FileBytes = fileBytes;
        DataFiles = dataFiles;
        DataBytes = dataBytes;
        Fingerprint = fingerprint;
    }

    /// <summary>The context's bytes, as the engine receives them: the files are read when first asked for.</summary>
    public ReadOnlyMemory<byte> Tar => _tar.Value;

    /// <summary>The two requests the generated Dockerfile is built in (see <see cref="StagedBuild"/>); null for a Dockerfile of the user's.</summary>
    public StagedBuild? Stages { get; }

    /// <summary>The context as a stream to send (over <see cref="Tar"/>, not a copy).</summary>
    public Stream OpenTar() => Open(Tar);

    /// <summary>A read-only stream over <paramref name="bytes"/> (not a copy).</summary>
    internal static Stream Open(ReadOnlyMemory<byte> bytes) => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment)
        ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
        : new MemoryStream(bytes.ToArray(), writable: false);

    /// <summary>
    /// What the context is made of, without reading it: each entry's name, size, write time and mode, the Dockerfile's
    /// layout and the SDK's build. Equal fingerprints mean the same <see cref="ContentTag"/>, as MSBuild and make judge
    /// files (see <see cref="ContentTags"/>); empty when a file was written too recently to be trusted as finished.
    /// </summary>
    public string Fingerprint { get; }

    public IReadOnlyList<string> Entries { get; }
    public long FileBytes { get; }

    /// <summary>The model's Dockerfile (its path in the model folder).</summary>
    public string Dockerfile { get; }

    /// <summary>How many files of <see cref="ContextRules.ScenariosFolder"/> the context holds (a taken-over .dockerignore let them through), and their size.</summary>
    public int DataFiles { get; }
    public long DataBytes { get; }

    /// <summary>
    /// A tag derived from everything the image is built from (Dockerfile and base image included): for a Dockerfile of
    /// the user's, a hash of <see cref="Tar"/>; for the generated one, of the dependencies' hash and the model's files
    /// (<see cref="StagedBuild.ContentTag"/>).
    /// </summary>
    public string ContentTag => _contentTag.Value;

    /// <param name="record">Where the dependencies' hash is kept by their files' fingerprint (see <see cref="ContentTags"/>); null: nowhere.</param>
    public static BuildContext Create(string modelDirectory, string handlerDirectory, string? libraryDirectory, ContextRules? rules = null, ContentTags? record = null)
    {
        var ignore = DockerIgnore.Load(Path.Combine(modelDirectory, ".dockerignore"));
        // What the SDK keeps in the model folder never goes into an image, whatever the .dockerignore says.
        var sdkState = new DockerIgnore((rules?.SdkState ?? []).Select(p => Path.GetRelativePath(modelDirectory, p).Replace('\\', '/').TrimEnd('/'))
            .Where(p => p != "." && !p.StartsWith("..", StringComparison.Ordinal)));
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, relative) in Walk(modelDirectory))
        {
            // Docker always reads these two; the SDK's own folder name is reserved.
            if (relative is not ("Dockerfile" or ".dockerignore") && ignore.IsExcluded(relative)) continue;
            if (relative.StartsWith(ContainerFiles.SdkContextFolder + "/", StringComparison.Ordinal) || sdkState.IsExcluded(relative)) continue;
            model[relative] = path;
        }
        var data = rules?.ScenariosFolder is { Length: > 0 } folder
            ? model.Where(f => f.Key.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal)).Select(f => f.Value).ToList() : [];
        // Whatever the .dockerignore says, secrets never go into an image.
        var secret = model.Keys.FirstOrDefault(Secrets.IsExcluded);
        if (secret is not null) throw new QuetzalException(Codes.SecretInContext, secret);

        // The layout follows the Dockerfile: one that copies the model from its own folder of the context (the generated
        // one) gets the model's files there, and the .dockerignore already applied; one of the user's written for the
        // model at the root (and its .dockerignore, which the engine applies again) gets them at the root.
        var dockerfile = Path.Combine(modelDirectory, "Dockerfile");
        var dockerfileText = File.Exists(dockerfile) ? File.ReadAllText(dockerfile) : "";
        var separate = dockerfileText.Contains(ContainerFiles.ModelContextFolder + "/", StringComparison.Ordinal);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (relative, path) in model)
        {
            if (relative == "Dockerfile") files[relative] = path;
            else if (!separate) files[relative] = path;
            else if (relative != ".dockerignore") files[$"{ContainerFiles.ModelContextFolder}/{relative}"] = path;
        }

        foreach (var (path, relative) in Walk(handlerDirectory))
            if (relative.EndsWith(".py", StringComparison.Ordinal)) files[$"{ContainerFiles.SdkContextFolder}/handler/{relative}"] = path;
        var library = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(libraryDirectory))
        {
            var libraryIgnore = new DockerIgnore(ContainerFiles.LibraryPatterns);
            var ownIgnore = DockerIgnore.Load(Path.Combine(libraryDirectory, ".dockerignore"));
            foreach (var (path, relative) in Walk(libraryDirectory))
                if (!libraryIgnore.IsExcluded(relative) && !ownIgnore.IsExcluded(relative)) library[relative] = path;
        }
        // The generated Dockerfile ADDs the library as one archive: the engine's classic builder then reads and
        // checksums one file, not thousands (1.7 s against 0.3 s for a 3,000-file library); a Dockerfile that copies
        // the folder gets the folder.
        var archive = dockerfileText.Contains(ContainerFiles.LibraryArchive, StringComparison.Ordinal);
        if (!archive)
            foreach (var (relative, path) in library) files[$"{ContainerFiles.SdkContextFolder}/library/{relative}"] = path;

        // The files' sizes and times once (for the fingerprint, the report of the largest parts, and to size the
        // buffers: a growing 40 MB buffer is copied and faulted in again at each doubling).
        var all = new SortedDictionary<string, string>(files, StringComparer.Ordinal);
        foreach (var (relative, path) in library) all[$"{ContainerFiles.SdkContextFolder}/library/{relative}"] = path;
        var stats = all.ToDictionary(f => f.Key, f => Stat(f.Value), StringComparer.Ordinal);
        var entries = files.Keys.ToList();
        if (archive && library.Count > 0) entries.Add(ContainerFiles.LibraryArchive);
        entries.Sort(StringComparer.Ordinal);

        // The files of `selected` (another Dockerfile's text in place of the file's when given), then the library as one archive when asked.
        ReadOnlyMemory<byte> PackSome(IReadOnlyCollection<KeyValuePair<string, string>> selected, string? dockerfileInstead, bool withLibrary)
        {
            static long Capacity(IEnumerable<long> lengths) => lengths.Sum(l => l + 1024 + 511) + (64 << 10);
            var libraryStats = library.Keys.Select(k => stats[$"{ContainerFiles.SdkContextFolder}/library/{k}"].Size).ToList();
            var buffer = new MemoryStream((int)Math.Min(int.MaxValue, Capacity(selected.Select(f => stats[f.Key].Size)) + (withLibrary ? Capacity(libraryStats) : 0)));
            using (var writer = Writer(buffer))
            {
                foreach (var (relative, path) in selected)
                {
                    if (relative == "Dockerfile" && dockerfileInstead is not null) WriteText(writer, relative, dockerfileInstead);
                    else Write(writer, relative, path, relative.StartsWith(ContainerFiles.ModelContextFolder + "/", StringComparison.Ordinal) ? relative[(ContainerFiles.ModelContextFolder.Length + 1)..] : relative);
                }
                if (withLibrary && archive && library.Count > 0)
                {
                    using var inner = new MemoryStream((int)Math.Min(int.MaxValue, Capacity(libraryStats)));
                    using (var libraryWriter = Writer(inner))
                    {
                        // Its folders too, with the same fixed time: the layer the engine extracts is the same bytes every time.
                        foreach (var parent in library.Keys.SelectMany(Parents).Distinct().Order(StringComparer.Ordinal))
                            libraryWriter.WriteEntry(Entry(TarEntryType.Directory, parent + "/", FolderMode, FixedTime));
                        foreach (var (relative, path) in library) Write(libraryWriter, relative, path, $"{libraryDirectory}/{relative}");
                    }
                    inner.Position = 0;
                    writer.WriteEntry(Entry(TarEntryType.RegularFile, ContainerFiles.LibraryArchive, FileMode, FixedTime, inner));
                }
            }
            // The buffer itself (sized to hold it), not a 40 MB copy of it.
            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }

        // The generated Dockerfile (ending with the model's COPY) is built in two requests; a user's as written.
        StagedBuild? stages = null;
        if (separate && (library.Count == 0 || archive) && GeneratedFiles.IsOwnedBySdk(dockerfile) && StagedBuild.DependenciesDockerfile(dockerfileText) is { } dependenciesText)
        {
            static bool IsDependency(string name) => name == "Dockerfile" || name == $"{ContainerFiles.ModelContextFolder}/requirements.txt"
                || name.StartsWith($"{ContainerFiles.SdkContextFolder}/handler/", StringComparison.Ordinal);
            var dependencies = files.Where(f => IsDependency(f.Key)).ToList();
            var modelFiles = files.Where(f => f.Key.StartsWith(ContainerFiles.ModelContextFolder + "/", StringComparison.Ordinal)).ToList();
            var dependencyStats = stats.Where(s => IsDependency(s.Key) || s.Key.StartsWith($"{ContainerFiles.SdkContextFolder}/library/", StringComparison.Ordinal))
                .ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
            stages = new StagedBuild(FingerprintOf(dependencyStats, separate, archive), () => PackSome(dependencies, dependenciesText, withLibrary: true),
                dependenciesImage => PackSome([new("Dockerfile", dockerfile), .. modelFiles], StagedBuild.ModelDockerfile(dependenciesImage), withLibrary: false),
                record);
        }

        return new BuildContext(() => PackSome(files, null, withLibrary: true), entries, stats.Values.Sum(v => v.Size), data.Count, data.Sum(f => new FileInfo(f).Length), dockerfile,
            FingerprintOf(stats, separate, archive), stages)
        {
            Contributors = Largest(stats.ToDictionary(s => s.Key, s => s.Value.Size, StringComparer.Ordinal)),
            LibraryEntries = library.Keys.ToList(),
            Inputs = all.ToDictionary(f => f.Key, f => new ImageInput(f.Value, stats[f.Key].Size, stats[f.Key].WriteTicks), StringComparer.Ordinal),
            DockerfileText = dockerfileText,
        };
    }

    private readonly record struct FileStat(long Size, long WriteTicks, bool Executable);

    /// <summary>Files written less than this before they are read are not trusted to be finished (stricter than <see cref="Core.FileStamp"/>, which only distrusts recent whole-second times).</summary>
    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(2);

    private static string FingerprintOf(IReadOnlyDictionary<string, FileStat> stats, bool separate, bool archive)
    {
        var recent = DateTime.UtcNow - Settling;
        if (stats.Values.Any(s => s.WriteTicks < 0 || new DateTime(s.WriteTicks, DateTimeKind.Utc) > recent)) return "";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{SdkBuild.Id}\n{separate}\n{archive}\n"));
        foreach (var (name, stat) in stats.OrderBy(s => s.Key, StringComparer.Ordinal))
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}\0{stat.Size}\0{stat.WriteTicks}\0{stat.Executable}\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Every file the image is made of, by its name in the context (the library's as files under
    /// <c>.quetzal/library/</c>, even when they travel as one archive): where it is, its size and write time.
    /// </summary>
    public IReadOnlyDictionary<string, ImageInput> Inputs { get; private init; } = new Dictionary<string, ImageInput>();

    /// <summary>The Dockerfile's text, as read for this context (empty when there is none).</summary>
    public string DockerfileText { get; private init; } = "";

    /// <summary>The library's files (relative to its folder) that go into the image, whether as a folder or as one archive.</summary>
    public IReadOnlyList<string> LibraryEntries { get; private init; } = [];

    // GNU format: long names without PAX headers, whose names carry the writing process's id.
    private static TarWriter Writer(Stream stream) => new(stream, TarEntryFormat.Gnu, leaveOpen: true);

    /// <summary>A tar entry as every image the SDK makes has them: owned by root, with no owner names, at one time.</summary>
    internal static GnuTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, DateTimeOffset time, Stream? content = null)
    {
        var entry = new GnuTarEntry(type, name) { ModificationTime = time, AccessTime = time, ChangeTime = time, Uid = 0, Gid = 0, UserName = "", GroupName = "", Mode = mode };
        if (content is not null) entry.DataStream = content;
        return entry;
    }

    internal const UnixFileMode FolderMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100;

    private static long Write(TarWriter writer, string name, string path, string shownAs)
    {
        using var content = Open(path, shownAs);
        writer.WriteEntry(Entry(TarEntryType.RegularFile, name, IsExecutable(path) ? FolderMode : FileMode, FixedTime, content));
        return content.Length;
    }

    private static void WriteText(TarWriter writer, string name, string text)
        => writer.WriteEntry(Entry(TarEntryType.RegularFile, name, FileMode, FixedTime, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))));

    /// <summary>The folders above a path (a/b/c.py: a, a/b).</summary>
    internal static IEnumerable<string> Parents(string relative)
    {
        for (var slash = relative.IndexOf('/'); slash > 0; slash = relative.IndexOf('/', slash + 1)) yield return relative[..slash];
    }

    /// <summary>The largest parts of the context (the model's, the library's, the runner's top-level folders and files), with their sizes.</summary>
    public IReadOnlyList<(string Part, long Bytes)> Contributors { get; private init; } = [];

    private static List<(string Part, long Bytes)> Largest(Dictionary<string, long> files)
        => files.GroupBy(f =>
            {
                var key = f.Key.StartsWith(ContainerFiles.SdkContextFolder + "/", StringComparison.Ordinal) ? f.Key[(ContainerFiles.SdkContextFolder.Length + 1)..] : "model/" + f.Key;
                var parts = key.Split('/');
                return parts.Length > 2 ? $"{parts[0]}/{parts[1]}/" : key;
            })
            .Select(g => (g.Key, g.Sum(f => f.Value)))
            .OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal).Take(5).ToList();

    private static FileStat Stat(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return new FileStat(info.Length, info.LastWriteTimeUtc.Ticks, IsExecutable(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileStat(0, -1, false); // reported when the file is read
        }
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
