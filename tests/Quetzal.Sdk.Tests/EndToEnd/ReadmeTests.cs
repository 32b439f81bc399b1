using System.Text.RegularExpressions;
using Quetzal.Sdk.Tests.Evaluation;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>The README's commands, run as written on a copy of the repository, as a new user would type them.</summary>
[Collection(DotNetBuilds.Name)]
public sealed class ReadmeTests : IDisposable
{
    private readonly TempDirectory _root = new("readme");

    public void Dispose() => _root.Dispose();

    /// <summary>The indented command block that follows the sentence naming this test in the README.</summary>
    private static string[] Commands()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var at = readme.IndexOf("`EndToEnd/ReadmeTests`", StringComparison.Ordinal);
        Assert.True(at >= 0, "the README no longer names EndToEnd/ReadmeTests before its manual path");
        var block = Regex.Match(readme[at..], @"\n\n((?:    .+\n)+)");
        return block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
    }

    /// <summary>
    /// A copy of the repository as a clone has it (sources, no build output), and the environment of a user's own
    /// machine, but empty: its own NuGet cache and dotnet home (the template hive), so that nothing earlier is reused.
    /// </summary>
    private (string Repository, Dictionary<string, string> Environment) CopyOfTheRepository()
    {
        var repository = _root.Combine("repo");
        var files = Processes.Run("git", ["-C", Repository.Root, "ls-files", "--cached", "--others", "--exclude-standard"]);
        Assert.True(files.Succeeded, files.ToString());
        foreach (var relative in files.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = Path.Combine(Repository.Root, relative);
            if (!File.Exists(source)) continue;
            var target = Path.Combine(repository, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }

        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = _root.Combine("nuget-packages"),
            ["DOTNET_CLI_HOME"] = _root.Combine("dotnet-home"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };
        return (repository, environment);
    }

    [Fact]
    public void The_quick_starts_main_job_scaffolds_a_model_and_runs_it_locally_as_written()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var quickStart = readme[readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        var command = Regex.Match(quickStart, @"\n    (eng/main\.sh)\b").Groups[1].Value;
        Assert.Equal("eng/main.sh", command);
        var (repository, environment) = CopyOfTheRepository();
        var run = Processes.Run("bash", ["-c", command], environment, repository, TimeSpan.FromMinutes(8), DotNet.TestHostVariables);
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("Run succeeded", run.Output);
        Assert.True(File.Exists(Path.Combine(repository, "artifacts", "demo", "quetzal-demo", "bin", "quetzal-run", "bucket", "base", "outputs", "network_summary.json")));
    }

    [Fact]
    public void The_manual_path_packs_installs_scaffolds_and_builds_as_written()
    {
        var commands = Commands();
        Assert.Contains(commands, c => c.StartsWith("dotnet pack", StringComparison.Ordinal));
        Assert.Equal("dotnet build", commands[^1]);

        var (repository, environment) = CopyOfTheRepository();
        var script = "set -e\n" + string.Join("\n", commands) + "\n";
        var run = Processes.Run("bash", ["-c", script], environment, repository, TimeSpan.FromMinutes(8), DotNet.TestHostVariables);
        Assert.True(run.Succeeded, $"the README's manual path failed:\n{script}\n{run}");
        Assert.Contains("Build succeeded", run.Output);
        Assert.True(File.Exists(Path.Combine(repository, "quetzal-paris", "Dockerfile")));
    }
}
