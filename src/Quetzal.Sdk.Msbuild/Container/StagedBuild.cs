using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Quetzal.Sdk.Container;

/// <summary>
/// The generated Dockerfile built in two requests to the engine, so that a step edit sends the engine the model's
/// code only, never the library again. The engine's classic builder reads the whole context on every build: with
/// the library in it, a one-line step edit sent (and the engine unpacked and checksummed) tens of MB to rebuild a
/// layer of a few KB. So:
/// <list type="number">
/// <item>the dependencies: the Dockerfile up to the model's COPY, with the requirements, the library archive and the
/// runner, tagged <c>&lt;repository&gt;:deps-&lt;hash of that context&gt;</c>, built only when the engine does not
/// have that tag;</item>
/// <item>the model: <c>FROM</c> that image, then the model's COPY, with the model's files only.</item>
/// </list>
/// The image has the same layers, in the same order, as one build of the whole Dockerfile (and the same CMD,
/// inherited). A Dockerfile the user took over is built in one request, as written.
/// </summary>
public sealed class StagedBuild
{
    private static readonly string ModelCopy = $"COPY {ContainerFiles.ModelContextFolder}/ ${{LAMBDA_TASK_ROOT}}/";

    private StagedBuild(byte[] dependencies, string hash, List<(string Name, byte[] Data, UnixFileMode Mode)> model)
    {
        Dependencies = dependencies;
        DependenciesHash = hash;
        _model = model;
    }

    private readonly List<(string Name, byte[] Data, UnixFileMode Mode)> _model;

    /// <summary>The dependencies' context: the Dockerfile without the model's COPY, the requirements, the library, the runner.</summary>
    public byte[] Dependencies { get; }

    /// <summary>A hash of <see cref="Dependencies"/>: the same inputs give the same tag, whatever the model's code.</summary>
    public string DependenciesHash { get; }

    /// <summary>The dependencies' image for an image named <paramref name="imageName"/> (repository:tag).</summary>
    public string DependenciesImage(string imageName)
    {
        var colon = imageName.LastIndexOf(':');
        var repository = colon > imageName.LastIndexOf('/') ? imageName[..colon] : imageName;
        return $"{repository}:deps-{DependenciesHash}";
    }

    /// <summary>The model's context: a Dockerfile FROM <paramref name="dependenciesImage"/> that copies the model's files, and those files.</summary>
    public byte[] Model(string dependenciesImage)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Gnu, leaveOpen: true))
        {
            Add(writer, "Dockerfile", Encoding.UTF8.GetBytes($"FROM {dependenciesImage}\n{ModelCopy}\n"), (UnixFileMode)0b110_100_100);
            foreach (var (name, data, mode) in _model) Add(writer, name, data, mode);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The two contexts of <paramref name="context"/>, or null when its Dockerfile is not the generated one ending
    /// with the model's COPY (the user's own, or an older layout): that one is built in one request.
    /// </summary>
    public static StagedBuild? Split(BuildContext context)
    {
        if (!GeneratedFiles.IsOwnedBySdk(context.Dockerfile) || !File.Exists(context.Dockerfile)) return null;
        var lines = File.ReadAllLines(context.Dockerfile);
        var last = Array.FindLastIndex(lines, l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        if (last < 0 || lines[last].Trim() != ModelCopy) return null;
        var dependenciesDockerfile = string.Join("\n", lines[..last]) + "\n";

        var model = new List<(string, byte[], UnixFileMode)>();
        using var dependencies = new MemoryStream(context.Tar.Length);
        using (var writer = new TarWriter(dependencies, TarEntryFormat.Gnu, leaveOpen: true))
        using (var reader = new TarReader(context.OpenTar()))
        {
            Add(writer, "Dockerfile", Encoding.UTF8.GetBytes(dependenciesDockerfile), (UnixFileMode)0b110_100_100);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.Name == "Dockerfile") continue;
                if (entry.Name.StartsWith(ContainerFiles.ModelContextFolder + "/", StringComparison.Ordinal))
                {
                    using var data = new MemoryStream();
                    entry.DataStream?.CopyTo(data);
                    model.Add((entry.Name, data.ToArray(), entry.Mode));
                    // The dependencies' layer installs the requirements: their file goes to both.
                    if (entry.Name != ContainerFiles.ModelContextFolder + "/requirements.txt") continue;
                    Add(writer, entry.Name, data.ToArray(), entry.Mode);
                    continue;
                }
                writer.WriteEntry(entry);
            }
        }
        var bytes = dependencies.ToArray();
        return new StagedBuild(bytes, Convert.ToHexStringLower(SHA256.HashData(bytes))[..16], model);
    }

    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static void Add(TarWriter writer, string name, byte[] data, UnixFileMode mode)
        => writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = FixedTime, AccessTime = FixedTime, ChangeTime = FixedTime, Uid = 0, Gid = 0, UserName = "", GroupName = "",
            Mode = mode, DataStream = new MemoryStream(data),
        });
}
