using System.Security.Cryptography;
using System.Text;

namespace Quetzal.Sdk.Container;

/// <summary>
/// The generated Dockerfile built in two requests to the engine, so that a step edit neither reads nor sends the
/// library again. The engine's classic builder reads the whole context on every build: with the library in it, a
/// one-line step edit packed, sent, unpacked and checksummed tens of MB to rebuild a layer of a few KB. So:
/// <list type="number">
/// <item>the dependencies: the Dockerfile up to the model's COPY, with the requirements, the library archive and the
/// runner, tagged <c>&lt;repository&gt;:deps-&lt;hash of that context&gt;</c> in the local engine, built only when the
/// engine does not have that tag. The hash is kept by the dependencies' files' fingerprint (<see cref="ContentTags"/>),
/// so their bytes are read only when they changed or must be sent;</item>
/// <item>the model: <c>FROM</c> that image, then the model's COPY, with the model's files only.</item>
/// </list>
/// The image has the same layers, in the same order, as one build of the whole Dockerfile (and the same CMD,
/// inherited); its content tag is a hash of the dependencies' hash and the model's files. A Dockerfile the user took
/// over is built in one request, as written.
/// </summary>
public sealed class StagedBuild
{
    private static readonly string ModelCopy = $"COPY {ContainerFiles.ModelContextFolder}/ ${{LAMBDA_TASK_ROOT}}/";

    private readonly string _fingerprint;
    private readonly Lazy<ReadOnlyMemory<byte>> _dependencies;
    private readonly Func<string, ReadOnlyMemory<byte>> _model;
    private readonly ContentTags? _record;
    private readonly Lazy<string> _hash;
    private readonly Lazy<ReadOnlyMemory<byte>> _modelTar;

    internal StagedBuild(string fingerprint, Func<ReadOnlyMemory<byte>> dependencies, Func<string, ReadOnlyMemory<byte>> model, ContentTags? record)
    {
        _fingerprint = fingerprint;
        _dependencies = new(dependencies);
        _model = model;
        _record = record;
        _hash = new(() =>
        {
            var key = fingerprint.Length == 0 ? "" : "deps:" + fingerprint;
            if (_record?.Find(key) is { } known) return known;
            var hash = Convert.ToHexStringLower(SHA256.HashData(Dependencies.Span))[..16];
            _record?.Save(key, hash);
            return hash;
        });
        _modelTar = new(() => _model($"deps-{DependenciesHash}"));
    }

    /// <summary>The dependencies' context: the Dockerfile without the model's COPY, the requirements, the library, the runner (read when asked for).</summary>
    public ReadOnlyMemory<byte> Dependencies => _dependencies.Value;

    /// <summary>Whether <see cref="Dependencies"/> were read (a step edit with the hash on record reads none of them).</summary>
    public bool DependenciesRead => _dependencies.IsValueCreated;

    /// <summary>A hash of <see cref="Dependencies"/>: the same inputs give the same tag, whatever the model's code.</summary>
    public string DependenciesHash => _hash.Value;

    /// <summary>The image's content tag: a hash of the dependencies' hash and the model's files.</summary>
    public string ContentTag => "q-" + Convert.ToHexStringLower(SHA256.HashData(_modelTar.Value.Span))[..16];

    /// <summary>The dependencies' tag in the model's repository (<c>deps-&lt;hash&gt;</c>).</summary>
    public string DependenciesTag => $"deps-{DependenciesHash}";

    /// <summary>The instruction the model's layer stands for, as the image's history records it.</summary>
    public string ModelInstruction => ModelCopy;

    /// <summary>
    /// The model's layer (an uncompressed tar) as the model's COPY makes it: the model's files under
    /// <paramref name="taskRoot"/> (see <see cref="ImageAppend"/>).
    /// </summary>
    public ReadOnlyMemory<byte> ModelLayer(string taskRoot) => ImageAppend.Layer(_modelTar.Value, ContainerFiles.ModelContextFolder + "/", taskRoot);

    /// <summary>The dependencies' image for an image named <paramref name="imageName"/> (repository:tag).</summary>
    public string DependenciesImage(string imageName)
    {
        var colon = imageName.LastIndexOf(':');
        var repository = colon > imageName.LastIndexOf('/') ? imageName[..colon] : imageName;
        return $"{repository}:{DependenciesTag}";
    }

    /// <summary>The model's context: a Dockerfile FROM <paramref name="dependenciesImage"/> that copies the model's files, and those files.</summary>
    public ReadOnlyMemory<byte> Model(string dependenciesImage) => _model(dependenciesImage);

    internal static string ModelDockerfile(string dependenciesImage) => $"FROM {dependenciesImage}\n{ModelCopy}\n";

    /// <summary>The Dockerfile without its last instruction when that is the model's COPY (the generated one), else null.</summary>
    internal static string? DependenciesDockerfile(string dockerfile)
    {
        var lines = dockerfile.Split('\n');
        var last = Array.FindLastIndex(lines, l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        return last < 0 || lines[last].Trim() != ModelCopy ? null : string.Join("\n", lines[..last]).TrimEnd() + "\n";
    }
}
