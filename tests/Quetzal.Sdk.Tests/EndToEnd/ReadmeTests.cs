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

    /// <summary>
    /// The two indented command blocks that follow the sentence naming this test in the README: the first runs in the
    /// clone, the second in a folder of the user's own.
    /// </summary>
    private static (string[] InTheClone, string[] InAFolderOfYourOwn) Commands()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var at = readme.IndexOf("`EndToEnd/ReadmeTests`", StringComparison.Ordinal);
        Assert.True(at >= 0, "the README no longer names EndToEnd/ReadmeTests before its manual path");
        var blocks = Regex.Matches(readme[at..], @"\n\n((?:    .+\n)+)").Take(2)
            .Select(b => b.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray())
            .ToArray();
        Assert.Equal(2, blocks.Length);
        return (blocks[0], blocks[1]);
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
    public void The_manual_path_packs_in_the_clone_then_scaffolds_builds_and_runs_a_model_in_a_folder_of_ones_own_as_written()
    {
        var (inTheClone, inAFolderOfYourOwn) = Commands();
        Assert.Contains(inTheClone, c => c.StartsWith("dotnet pack", StringComparison.Ordinal));
        Assert.Contains("dotnet build", inAFolderOfYourOwn);
        Assert.Equal("dotnet run", inAFolderOfYourOwn[^1]);

        var (repository, environment) = CopyOfTheRepository();
        var clone = "set -e\n" + string.Join("\n", inTheClone) + "\n";
        var packed = Processes.Run("bash", ["-c", clone], environment, repository, TimeSpan.FromMinutes(8), DotNet.TestHostVariables);
        Assert.True(packed.Succeeded, $"the README's commands in the clone failed:\n{clone}\n{packed}");

        // A folder beside the clone, not under it: no nuget.config or Directory.*.props of the repository applies.
        var models = _root.Combine("models");
        Directory.CreateDirectory(models);
        var own = "set -e\n" + string.Join("\n", inAFolderOfYourOwn) + "\n";
        var run = Processes.Run("bash", ["-c", own], environment, models, TimeSpan.FromMinutes(8), DotNet.TestHostVariables);
        Assert.True(run.Succeeded, $"the README's commands in a folder of one's own failed:\n{own}\n{run}");
        Assert.Contains("Build succeeded", run.Output);
        Assert.Contains("Run succeeded", run.Output);
        var model = Path.Combine(models, "quetzal-paris");
        Assert.True(File.Exists(Path.Combine(model, "Dockerfile")));
        Assert.Contains(Path.Combine(repository, "artifacts", "packages"), File.ReadAllText(Path.Combine(model, "nuget.config")));
        Assert.True(File.Exists(Path.Combine(model, "bin", "quetzal-run", "bucket", "base", "outputs", "network_summary.json")));
    }
}
