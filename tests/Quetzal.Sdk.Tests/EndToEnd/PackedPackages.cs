using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// Packs both packages once per test run, with a version no cache has seen, into a temporary feed; installs the
/// template into a private hive. Every child dotnet sees only that feed and a private package folder.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    private readonly TempDirectory _root = new("packed");

    public PackedPackages()
    {
        Version = $"0.1.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(1000, 9999)}";
        Feed = _root.Combine("feed");
        Hive = _root.Combine("hive");
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = _root.Combine("packages") };

        foreach (var project in new[] { "src/Quetzal.Sdk.Msbuild/Quetzal.Sdk.Msbuild.csproj", "src/Quetzal.Templates/Quetzal.Templates.csproj" })
        {
            var pack = DotNet.Run(Repository.Root, ["pack", project, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
                "--artifacts-path", _root.Combine("artifacts"), "-nodeReuse:false"]);
            if (!pack.Succeeded) throw new InvalidOperationException($"pack {project} failed: {pack}");
        }
        var install = DotNet.Run(_root.Path, ["new", "install", TemplatePackage, "--debug:custom-hive", Hive], new Dictionary<string, string>(Environment));
        if (!install.Succeeded) throw new InvalidOperationException($"template install failed: {install}");
    }

    public string Version { get; }
    public string Root => _root.Path;
    public string Feed { get; }
    public string Hive { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }
    public string SdkPackage => Path.Combine(Feed, $"Quetzal.Sdk.{Version}.nupkg");
    public string TemplatePackage => Path.Combine(Feed, $"Quetzal.Templates.{Version}.nupkg");

    /// <summary>A folder for a test: sees the feed through its nuget.config, like a modeller's machine.</summary>
    public TempDirectory Workspace()
    {
        var workspace = new TempDirectory("ws");
        Models.WriteIsolatedNuGetConfig(workspace.Path, Feed);
        return workspace;
    }

    public ProcessResult Run(string directory, params string[] arguments) => DotNet.Run(directory, arguments, new Dictionary<string, string>(Environment));

    public ProcessResult Run(string directory, string[] arguments, IDictionary<string, string> environment)
    {
        var merged = new Dictionary<string, string>(Environment);
        foreach (var (name, value) in environment) merged[name] = value;
        return DotNet.Run(directory, arguments, merged);
    }

    public ProcessResult New(string directory, params string[] arguments)
        => Run(directory, ["new", .. arguments, "--debug:custom-hive", Hive]);

    public ProcessResult Build(string directory, params string[] extra)
        => Run(directory, ["build", "-nodeReuse:false", "-m:1", "-v:n", "-clp:NoSummary", .. extra]);

    public void Dispose() => _root.Dispose();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackedPackagesCollection : ICollectionFixture<PackedPackages>
{
    public const string Name = "packed packages";
}
