using System.Formats.Tar;
using System.Text.Json.Nodes;
using Amazon.S3;
using Docker.DotNet;
using Docker.DotNet.Models;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// The image of a model with a quetzal library (QuetzalLibraryPath), from the packed packages on the stack: its layers
/// read back through the Docker engine (the library in exactly one layer, the SDK's context folder in none), and what a
/// step edit pushes, counted in the registry's storage (the model's layer, kilobytes).
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class LayerTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"lay-{Guid.NewGuid():N}"[..16];

    public void Dispose() => _workspace.Dispose();

    private string Model => _workspace.Combine(_name);

    /// <summary>A library checkout as a modeller has one: the package, a data file, and clutter that must stay out.</summary>
    private string Library()
    {
        var library = _workspace.Combine("quetzal-lib");
        void Write(string relative, int bytes, int seed = 1)
        {
            var path = Path.Combine(library, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var content = new byte[bytes];
            new Random(seed).NextBytes(content);
            File.WriteAllBytes(path, content);
        }
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(library, "quetzal")).FullName, "__init__.py"), "VERSION = '1.0'\n");
        for (var i = 0; i < 40; i++) Write($"quetzal/module_{i}.py", 4_000, i);
        Write("quetzal/data/reference.bin", 2_000_000);
        Write("wheels/win_amd64/GDAL-3.8.whl", 1_500_000, 7);
        Write(".git/objects/pack/pack-1.pack", 500_000, 8);
        Write("tests/test_engine.py", 3_000, 9);
        return library;
    }

    private ProcessResult Publish() => packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"], LocalStack.Environment_());

    /// <summary>The registry's blobs (layers, configs, manifests) by digest, with their sizes: what has been pushed.</summary>
    private static Dictionary<string, long> Blobs()
    {
        var root = Path.Combine(LocalStack.StateDirectory, "registry-data", "docker", "registry", "v2", "blobs");
        return Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "data", SearchOption.AllDirectories).ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f)!), f => new FileInfo(f).Length)
            : new Dictionary<string, long>();
    }

    /// <summary>
    /// Each layer's files, read from the image as the engine pulls it from the registry (the model's layer is added in
    /// the registry, so the engine never had the image) and saves it (`docker save`'s tar, through the Engine API).
    /// </summary>
    private static async Task<List<List<string>>> Layers(string image)
    {
        await LocalStack.PullAsync(image);
        using var docker = new DockerClientConfiguration(new Uri(Quetzal.Sdk.Container.ImageBuilder.DefaultEndpoint)).CreateClient();
        var file = Path.GetTempFileName();
        try
        {
            await using (var saving = await docker.Images.SaveImageAsync(image, default))
            await using (var target = File.Create(file))
                await saving.CopyToAsync(target);
            return ReadLayers(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<List<string>> ReadLayers(string saved)
    {
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var reader = new TarReader(File.OpenRead(saved)))
            while (reader.GetNextEntry() is { } entry)
                if (entry.DataStream is { } data)
                {
                    using var memory = new MemoryStream();
                    data.CopyTo(memory);
                    blobs[entry.Name] = memory.ToArray();
                }
        var manifest = JsonNode.Parse(blobs["manifest.json"])!.AsArray()[0]!;
        var layers = new List<List<string>>();
        foreach (var layer in manifest["Layers"]!.AsArray().Select(l => (string)l!))
        {
            var files = new List<string>();
            using var reader = new TarReader(new MemoryStream(blobs[layer]));
            while (reader.GetNextEntry() is { } entry) files.Add(entry.Name.TrimEnd('/'));
            layers.Add(files);
        }
        return layers;
    }

    [StackFact]
    public async Task The_library_is_in_one_layer_and_a_step_edit_pushes_only_the_models_layer()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        Library();
        var project = Path.Combine(Model, _name + ".quetzalproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</PropertyGroup>", "  <QuetzalLibraryPath>../quetzal-lib</QuetzalLibraryPath>\n  </PropertyGroup>"));
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", _name, "--endpoint-url", LocalStack.ControlPlane], env).Succeeded);
        using (var s3 = new AmazonS3Client(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true }))
            await s3.PutBucketAsync(_name);

        var first = Publish();
        Assert.True(first.Succeeded, first.ToString());
        Assert.Contains("largest: library/quetzal/", first.Output);
        using var lambda = new Quetzal.Sdk.Aws.LambdaClient(new Quetzal.Sdk.Aws.AwsSettings("ca-central-1", null, n => LocalStack.Environment_().GetValueOrDefault(n),
            new Amazon.Runtime.BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey)));
        var image = (await lambda.GetFunctionAsync(_name, default))!.ResolvedImageUri!;

        var layers = await Layers(image);
        Assert.Single(layers, l => l.Contains("var/task/quetzal/__init__.py"));
        Assert.Single(layers, l => l.Contains("var/task/quetzal/data/reference.bin"));
        Assert.DoesNotContain(layers.SelectMany(l => l), f => f.Split('/').Contains(".quetzal") || f.Contains("wheels", StringComparison.Ordinal)
            || f.Contains("/.git", StringComparison.Ordinal) || f.StartsWith("var/task/tests", StringComparison.Ordinal));
        // The runner and the model's code: each in its own layer, once.
        Assert.Single(layers, l => l.Contains("var/task/quetzal_handler.py"));
        Assert.Single(layers, l => l.Contains("var/task/steps/loaded_links.py"));
        Assert.NotSame(layers.Single(l => l.Contains("var/task/quetzal_handler.py")), layers.Single(l => l.Contains("var/task/steps/loaded_links.py")));

        // A step edit: the registry gains the model's layer, the image config and the manifest; kilobytes, not the library.
        var before = Blobs();
        File.AppendAllText(Path.Combine(Model, "steps", "loaded_links.py"), "\n# tuned\n");
        var edited = Publish();
        Assert.True(edited.Succeeded, edited.ToString());
        var pushed = Blobs().Where(b => !before.ContainsKey(b.Key)).ToList();
        var modelCode = Directory.EnumerateFiles(Path.Combine(Model, "steps")).Sum(f => new FileInfo(f).Length) + new FileInfo(Path.Combine(Model, "requirements.txt")).Length;
        Assert.InRange(pushed.Count, 1, 3);
        Assert.True(pushed.Sum(b => b.Value) <= modelCode + 64 * 1024, $"a step edit pushed {pushed.Sum(b => b.Value)} bytes in {pushed.Count} blobs");
    }
}
