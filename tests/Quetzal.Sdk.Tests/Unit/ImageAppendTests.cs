using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>
/// The model's image made in the registry: the layer the generated Dockerfile's last COPY would make, appended to the
/// dependencies' image with digests a registry and an engine verify. (The registry and the engine reading it back are
/// in EndToEnd/LayerTests and PublishTests.)
/// </summary>
public sealed class ImageAppendTests : IDisposable
{
    private readonly TempDirectory _dir = new("append");

    public void Dispose() => _dir.Dispose();

    private static string Handler => Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild", "handler");

    private StagedBuild Staged()
    {
        var model = _dir.Combine("model");
        if (!Directory.Exists(model))
        {
            TempDirectory.CopyDirectory(Repository.TemplateContent, model);
            Directory.Delete(Path.Combine(model, ".template.config"), recursive: true);
            var settings = new ContainerSettings { SdkVersion = "1", BaseImage = "b" };
            File.WriteAllText(Path.Combine(model, ".dockerignore"), ContainerFiles.DockerIgnore(settings));
            File.WriteAllText(Path.Combine(model, "Dockerfile"), ContainerFiles.Dockerfile(settings));
            File.WriteAllText(Path.Combine(model, "steps", "prepare.sh"), "#!/bin/sh\necho ready\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(model, "steps", "prepare.sh"), (UnixFileMode)0b111_101_101);
        }
        return BuildContext.Create(model, Handler, null).Stages!;
    }

    private static List<TarEntry> Entries(ReadOnlyMemory<byte> tar, bool gzipped = false)
    {
        Stream stream = new MemoryStream(tar.ToArray());
        if (gzipped) stream = new GZipStream(stream, CompressionMode.Decompress);
        var entries = new List<TarEntry>();
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry(copyData: true) is { } entry) entries.Add(entry);
        return entries;
    }

    private static string Text(TarEntry entry) => new StreamReader(entry.DataStream!).ReadToEnd();

    [Fact]
    public void The_models_layer_holds_its_files_under_the_task_root_owned_by_root_with_their_folders_first()
    {
        var staged = Staged();
        var entries = Entries(staged.ModelLayer("/var/task"));
        var names = entries.Select(e => e.Name).ToList();

        Assert.Equal(["var/", "var/task/"], names.Take(2));
        var step = entries.Single(e => e.Name == "var/task/steps/loaded_links.py");
        Assert.Equal(File.ReadAllText(Path.Combine(_dir.Combine("model"), "steps", "loaded_links.py")), Text(step));
        Assert.True(names.IndexOf("var/task/steps/") < names.IndexOf("var/task/steps/loaded_links.py"));
        Assert.Contains("var/task/requirements.txt", names);
        // Only the model's files: not the Dockerfile, not the SDK's context folder, not the runner (a layer below).
        Assert.DoesNotContain(names, n => n.Split('/').Contains(".quetzal") || n.EndsWith("Dockerfile", StringComparison.Ordinal) || n.Contains("quetzal_handler", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
        Assert.All(entries.Where(e => e.EntryType == TarEntryType.Directory), e => Assert.Equal((UnixFileMode)0b111_101_101, e.Mode));
        Assert.Equal((UnixFileMode)0b110_100_100, step.Mode);
        if (!OperatingSystem.IsWindows()) Assert.Equal((UnixFileMode)0b111_101_101, entries.Single(e => e.Name == "var/task/steps/prepare.sh").Mode);

        // The same files make the same bytes; with no task root, they go to the root as the engine reads an unset variable.
        Assert.Equal(staged.ModelLayer("/var/task").ToArray(), Staged().ModelLayer("/var/task").ToArray());
        Assert.Contains("steps/loaded_links.py", Entries(staged.ModelLayer("/")).Select(e => e.Name));
    }

    [Theory]
    [InlineData("""{"config":{"Env":["PATH=/usr/bin","LAMBDA_TASK_ROOT=/var/task"]}}""", "/var/task")]
    [InlineData("""{"config":{"Env":["LAMBDA_TASK_ROOT=/opt/model/"]}}""", "/opt/model")]
    [InlineData("""{"config":{"Env":["PATH=/usr/bin"]}}""", "/")]
    [InlineData("""{"config":{}}""", "/")]
    public void The_task_root_is_the_dependencies_lambda_task_root(string config, string root)
        => Assert.Equal(root, ImageAppend.TaskRoot(Encoding.UTF8.GetBytes(config)));

    private static (RegistryClient.ManifestContent Manifest, byte[] Config) Dependencies(bool oci)
    {
        var config = Encoding.UTF8.GetBytes("""
            {"architecture":"amd64","os":"linux","created":"2026-11-30T10:00:00Z",
             "config":{"Env":["LAMBDA_TASK_ROOT=/var/task"],"Cmd":["quetzal_handler.handler"]},
             "rootfs":{"type":"layers","diff_ids":["sha256:aaaa","sha256:bbbb"]},
             "history":[{"created_by":"FROM base"},{"created_by":"COPY handler"}]}
            """);
        var layerType = oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip";
        var configType = oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json";
        var manifestType = oci ? "application/vnd.oci.image.manifest.v1+json" : "application/vnd.docker.distribution.manifest.v2+json";
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{manifestType}}",
             "config":{"mediaType":"{{configType}}","size":{{config.Length}},"digest":"{{ImageAppend.Digest(config)}}"},
             "layers":[{"mediaType":"{{layerType}}","size":10,"digest":"sha256:1111"},{"mediaType":"{{layerType}}","size":20,"digest":"sha256:2222"}]}
            """);
        return (new RegistryClient.ManifestContent(ImageAppend.Digest(manifest), manifestType, manifest), config);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Appending_keeps_the_dependencies_layers_and_adds_one_whose_digests_match_its_bytes(bool oci)
    {
        var (dependencies, config) = Dependencies(oci);
        var layerTar = Staged().ModelLayer("/var/task");
        var image = ImageAppend.Append(dependencies, config, layerTar, "COPY .quetzal/model/ ${LAMBDA_TASK_ROOT}/");

        var manifest = JsonNode.Parse(image.Manifest)!;
        var layers = manifest["layers"]!.AsArray();
        Assert.Equal(["sha256:1111", "sha256:2222", image.LayerDigest], layers.Select(l => (string)l!["digest"]!));
        Assert.Equal(oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip", (string)layers[2]!["mediaType"]!);
        Assert.Equal(image.Layer.Length, (int)layers[2]!["size"]!);
        Assert.Equal(ImageAppend.Digest(image.Layer), image.LayerDigest);
        Assert.Equal(dependencies.MediaType, image.ManifestMediaType);
        Assert.Equal(ImageAppend.Digest(image.Config), (string)manifest["config"]!["digest"]!);
        Assert.Equal(image.Config.Length, (int)manifest["config"]!["size"]!);

        // The layer is the tar, gzipped; the config names the tar's digest (the engine checks it when it pulls).
        Assert.Equal(layerTar.ToArray(), Gunzip(image.Layer));
        var newConfig = JsonNode.Parse(image.Config)!;
        Assert.Equal(["sha256:aaaa", "sha256:bbbb", ImageAppend.Digest(layerTar.Span)], newConfig["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string)d!));
        Assert.Equal("COPY .quetzal/model/ ${LAMBDA_TASK_ROOT}/", (string)newConfig["history"]![2]!["created_by"]!);
        // What the dependencies set (command, environment, time) is the image's too: the same files make the same image.
        Assert.Equal("quetzal_handler.handler", (string)newConfig["config"]!["Cmd"]![0]!);
        Assert.Equal("2026-11-30T10:00:00Z", (string)newConfig["created"]!);
        Assert.Equal(image.ManifestDigest, ImageAppend.Append(dependencies, config, Staged().ModelLayer("/var/task"), "COPY .quetzal/model/ ${LAMBDA_TASK_ROOT}/").ManifestDigest);
    }

    [Fact]
    public void An_index_is_not_a_base_to_append_to()
    {
        var (dependencies, config) = Dependencies(oci: true);
        var index = dependencies with { MediaType = "application/vnd.oci.image.index.v1+json" };
        Assert.Throws<InvalidDataException>(() => ImageAppend.Append(index, config, Staged().ModelLayer("/var/task"), "COPY"));
    }

    [Fact]
    public void Of_an_index_the_linux_amd64_image_is_the_base_and_attestations_are_not()
    {
        var index = Encoding.UTF8.GetBytes("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:arm","size":1,"platform":{"architecture":"arm64","os":"linux"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:amd","size":1,"platform":{"architecture":"amd64","os":"linux"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:att","size":1,"platform":{"architecture":"unknown","os":"unknown"},
              "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}
            """);
        Assert.Equal("sha256:amd", ImageAppend.PlatformImage(index));
        Assert.Null(ImageAppend.PlatformImage(Encoding.UTF8.GetBytes("""{"manifests":[{"digest":"sha256:arm","platform":{"architecture":"arm64","os":"linux"}}]}""")));
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)) gzip.CopyTo(output);
        return output.ToArray();
    }
}
