using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Container;

/// <summary>
/// The model's image made in the registry, without a Docker engine: the dependencies' image (pushed once per
/// dependencies' hash, as <c>deps-&lt;hash&gt;</c>) plus one layer of the model's files, as <c>crane append</c> and the
/// .NET SDK's container publishing make images. A step edit then costs a few small HTTP requests (read the
/// dependencies' manifest and config, upload the layer and the new config, put the manifest), where the engine took a
/// build, a commit and a push that checked every layer (0.5 s of a 2 s publish on the bench's model).
/// <para>
/// The layer is what the generated Dockerfile's last instruction, <c>COPY .quetzal/model/ ${LAMBDA_TASK_ROOT}/</c>,
/// puts in the image: the model's files under the dependencies' <c>LAMBDA_TASK_ROOT</c> (the root when unset, as
/// the engine reads an unset variable), owned by root, with the context's modes and fixed times. The same files on
/// the same dependencies give the same bytes, so the same image digest.
/// </para>
/// </summary>
public static class ImageAppend
{
    /// <summary>The new image's blobs and manifest.</summary>
    public sealed record Image(byte[] Layer, string LayerDigest, byte[] Config, string ConfigDigest, byte[] Manifest, string ManifestMediaType)
    {
        public string ManifestDigest => Digest(Manifest);
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Puts the model's image in the registry as <paramref name="tag"/>, on the dependencies' image
    /// <paramref name="dependencies"/> (a manifest the registry has); returns the image's digest.
    /// </summary>
    public static async Task<string> PushAsync(IImageRegistry registry, string repository, RegistryClient.ManifestContent dependencies, StagedBuild staged,
        string tag, CancellationToken cancellation)
    {
        var manifest = JsonNode.Parse(dependencies.Bytes)?.AsObject() ?? throw new InvalidDataException("the dependencies' manifest is not JSON");
        var configDigest = (string?)manifest["config"]?["digest"] ?? throw new InvalidDataException("the dependencies' manifest names no config");
        var config = await registry.GetBlobAsync(repository, configDigest, cancellation);
        var image = Append(dependencies, config, staged.ModelLayer(TaskRoot(config)), staged.ModelInstruction);
        // The layer and the config are independent uploads; the manifest must come after both.
        await Task.WhenAll(registry.PutBlobAsync(repository, image.LayerDigest, image.Layer, cancellation),
            registry.PutBlobAsync(repository, image.ConfigDigest, image.Config, cancellation));
        return await registry.PutManifestAsync(repository, tag, image.Manifest, image.ManifestMediaType, cancellation);
    }

    /// <summary>
    /// The linux/amd64 image of an index (what an engine with the containerd image store pushes: the image and its
    /// attestations), or null when it has none.
    /// </summary>
    public static string? PlatformImage(byte[] index)
    {
        var manifests = JsonNode.Parse(index)?["manifests"] as JsonArray ?? [];
        return manifests.Where(m => (string?)m?["platform"]?["os"] == "linux" && (string?)m?["platform"]?["architecture"] == "amd64")
            .Select(m => (string?)m!["digest"]).FirstOrDefault();
    }

    /// <summary>Where the model's files go: the config's LAMBDA_TASK_ROOT, else the root (the engine reads an unset variable as empty).</summary>
    public static string TaskRoot(byte[] config)
    {
        var environment = JsonNode.Parse(config)?["config"]?["Env"] as JsonArray;
        var root = environment?.Select(e => (string?)e).FirstOrDefault(e => e?.StartsWith("LAMBDA_TASK_ROOT=", StringComparison.Ordinal) == true)?["LAMBDA_TASK_ROOT=".Length..];
        return "/" + (root ?? "").Trim('/');
    }

    /// <summary>
    /// The image made of <paramref name="dependencies"/> and one more layer, <paramref name="layerTar"/> (an uncompressed
    /// tar): the layer gzipped, the config with the layer's diff ID and a history entry added, the manifest with the
    /// layer added, of the same media types as the dependencies' image (Docker's or OCI's).
    /// </summary>
    public static Image Append(RegistryClient.ManifestContent dependencies, byte[] dependenciesConfig, ReadOnlyMemory<byte> layerTar, string createdBy)
    {
        if (dependencies.Manifest.IsIndex) throw new InvalidDataException("the dependencies' tag names an image index, not an image");
        var manifest = JsonNode.Parse(dependencies.Bytes)!.AsObject();
        var layers = manifest["layers"] as JsonArray ?? throw new InvalidDataException("the dependencies' manifest has no layers");
        var oci = dependencies.MediaType.Contains("oci", StringComparison.Ordinal) || (string?)manifest["config"]?["mediaType"] == "application/vnd.oci.image.config.v1+json";

        var compressed = new MemoryStream(layerTar.Length / 2 + 1024);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(layerTar.Span);
        var layer = compressed.ToArray();
        var layerDigest = Digest(layer);

        var config = JsonNode.Parse(dependenciesConfig)!.AsObject();
        var rootfs = config["rootfs"]?["diff_ids"] as JsonArray ?? throw new InvalidDataException("the dependencies' config has no rootfs.diff_ids");
        rootfs.Add(Digest(layerTar.Span));
        // The dependencies' time: the same files on the same dependencies make the same config, so the same image.
        var created = config["created"]?.DeepClone();
        if (config["history"] is JsonArray history)
        {
            var entry = new JsonObject { ["created_by"] = createdBy };
            if (created is not null) entry["created"] = created.DeepClone();
            history.Add(entry);
        }
        var configBytes = JsonSerializer.SerializeToUtf8Bytes(config);
        var configDigest = Digest(configBytes);

        manifest["config"] = new JsonObject
        {
            ["mediaType"] = (string?)manifest["config"]?["mediaType"] ?? (oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json"),
            ["size"] = configBytes.Length,
            ["digest"] = configDigest,
        };
        layers.Add(new JsonObject
        {
            ["mediaType"] = oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip",
            ["size"] = layer.Length,
            ["digest"] = layerDigest,
        });
        var mediaType = dependencies.MediaType is { Length: > 0 } known ? known
            : (string?)manifest["mediaType"] ?? (oci ? "application/vnd.oci.image.manifest.v1+json" : "application/vnd.docker.distribution.manifest.v2+json");
        return new Image(layer, layerDigest, configBytes, configDigest, JsonSerializer.SerializeToUtf8Bytes(manifest), mediaType);
    }

    /// <summary>
    /// A layer of <paramref name="files"/> (a tar whose entries under <paramref name="prefix"/> are taken) under
    /// <paramref name="target"/>: its folders first (the target's and each file's, mode 755), then the files in the
    /// tar's order, their content copied once, from the tar to the layer.
    /// </summary>
    internal static ReadOnlyMemory<byte> Layer(ReadOnlyMemory<byte> files, string prefix, string target)
    {
        var root = target.Trim('/');
        string Full(string relative) => root.Length == 0 ? relative : $"{root}/{relative}";
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var part in BuildContext.Parents(root + "/")) folders.Add(part);
        long size = 0;
        DateTimeOffset? time = null;
        using (var reader = new TarReader(BuildContext.Open(files)))
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType == TarEntryType.RegularFile && entry.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    foreach (var part in BuildContext.Parents(Full(entry.Name[prefix.Length..]))) folders.Add(part);
                    size += entry.Length + 1024;
                    time ??= entry.ModificationTime;
                }

        var output = new MemoryStream((int)Math.Min(int.MaxValue, size + folders.Count * 512L + 2048));
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true))
        {
            var stamp = time ?? DateTimeOffset.UnixEpoch;
            foreach (var folder in folders)
                writer.WriteEntry(BuildContext.Entry(TarEntryType.Directory, folder + "/", BuildContext.FolderMode, stamp));
            using var reader = new TarReader(BuildContext.Open(files));
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType == TarEntryType.RegularFile && entry.Name.StartsWith(prefix, StringComparison.Ordinal))
                    writer.WriteEntry(BuildContext.Entry(TarEntryType.RegularFile, Full(entry.Name[prefix.Length..]), entry.Mode, entry.ModificationTime, entry.DataStream));
        }
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }
}
