using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// Model versions from the packed packages against the local stack: a run in flight finishes on the version it
/// started with while a publish makes the next one current; QuetzalVersions shows both with the run; QuetzalRollback
/// brings the first back in seconds, which is what the function shows (Quenedi's version) and what the next run runs;
/// a run recovers from an idle image function's CodeArtifactUserPendingException.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class ReleaseTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"rel-{Guid.NewGuid():N}"[..16];

    public void Dispose() => _workspace.Dispose();

    private string Model => _workspace.Combine(_name);

    /// <summary>The template's model whose loaded_links step says which code it is, after a slow first step; created where infra/ would, then published (v1).</summary>
    private void Published(int slowSeconds)
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        Mark("A");
        StackModels.WithASlowFirstStep(Model, $"import time\ntime.sleep({slowSeconds})\nprint('slow step done')\n");
        StackModels.CreateInfrastructure(_name);
        Publish();
    }

    private void Mark(string code)
    {
        var step = Path.Combine(Model, "steps", "loaded_links.py");
        var text = File.ReadAllText(step);
        var marker = text.IndexOf("\nprint('code ", StringComparison.Ordinal);
        File.WriteAllText(step, (marker < 0 ? text : text[..marker]) + $"\nprint('code {code}')\n");
    }

    private ProcessResult Build(params string[] arguments)
    {
        var result = packages.Run(Model, ["build", .. arguments, "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"], LocalStack.Environment_());
        Assert.True(result.Succeeded, result.ToString());
        return result;
    }

    private void Publish() => Build("-t:Publish");

    private ProcessResult RunOnAws()
        => packages.Run(Model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "aws"], LocalStack.Environment_());

    /// <summary>The tag of the image the unqualified function runs: what Quenedi shows as the model version.</summary>
    private string FunctionTag()
    {
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        var get = Processes.Run("aws", ["lambda", "get-function", "--function-name", _name, "--endpoint-url", LocalStack.ControlPlane], env);
        Assert.True(get.Succeeded, get.ToString());
        return ((string)JsonNode.Parse(get.Output)!["Code"]!["ImageUri"]!).Split(':')[^1];
    }

    [StackFact]
    public async Task A_run_in_flight_finishes_on_its_version_while_a_publish_makes_the_next_current_and_a_rollback_brings_it_back()
    {
        Published(slowSeconds: 40);
        Assert.Equal("v1", FunctionTag());

        // A run starts on v1 and is in its slow first step...
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Model, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "aws"]) start.ArgumentList.Add(argument);
        foreach (var (k, v) in packages.Environment) start.Environment[k] = v;
        foreach (var (k, v) in LocalStack.Environment_()) start.Environment[k] = v;
        var first = Process.Start(start)!;
        using var _ = Processes.Ending(first);
        var output = new StringBuilder();
        first.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        first.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        first.BeginOutputReadLine();
        first.BeginErrorReadLine();
        string Text() { lock (output) return output.ToString(); }
        var clock = Stopwatch.StartNew();
        while (!Text().Contains("> slow (Task)", StringComparison.Ordinal))
        {
            Assert.False(first.HasExited, Text());
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), Text());
            await Task.Delay(100);
        }
        Assert.Contains("started base-", Text());
        Assert.Matches(@"started base-\S+ on v1", Text());

        // ...when a step edit is published: v2 is current, the run still on v1.
        Mark("B");
        Publish();
        Assert.Equal("v2", FunctionTag());
        var listed = Build("-t:QuetzalVersions").Output;
        Assert.Matches(@"\* v2 .+ 0  published", listed);
        Assert.Matches(@"\n\s+v1 .+ 1  published", listed);
        Assert.True(first.WaitForExit(180_000), Text());
        first.WaitForExit();
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(40), "the slow step ended before the publish: nothing was shown");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("| code A", Text());
        Assert.DoesNotContain("| code B", Text());

        // A run started now runs v2.
        var second = RunOnAws();
        Assert.True(second.Succeeded, second.ToString());
        Assert.Matches(@"started base-\S+ on v2", second.Output);
        Assert.Contains("| code B", second.Output);

        // Rollback to v1: a dry run first, then in seconds; the function shows v1 again, and runs run v1's code.
        var plan = Build("-t:QuetzalRollback", "-p:QuetzalVersion=1", "-p:QuetzalDryRun=true").Output;
        Assert.Contains("Version: would make v1 current (current: v2)", plan);
        Assert.Equal("v2", FunctionTag());
        var rollback = Build("-t:QuetzalRollback", "-p:QuetzalVersion=v1").Output;
        var seconds = double.Parse(System.Text.RegularExpressions.Regex.Match(rollback, @"Version: v1 is current \(current: v2\), in ([0-9.]+) s").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 0, 10);
        Assert.DoesNotContain("Building", rollback);
        Assert.Equal("v1", FunctionTag());
        var after = Build("-t:QuetzalVersions").Output;
        Assert.Matches(@"\* v1 .+ rollback from v2", after);

        // A version that is not there: a coded error naming the versions, and nothing changes.
        var missing = packages.Run(Model, ["build", "-t:QuetzalRollback", "-p:QuetzalVersion=9", "-nodeReuse:false"], LocalStack.Environment_());
        Assert.False(missing.Succeeded);
        Assert.Contains($"error QTZ4080: '{_name}' has no version v9: its versions are v2, v1", missing.Output);
        Assert.Equal("v1", FunctionTag());
    }

    [StackFact]
    public async Task A_run_recovers_when_an_idle_image_function_answers_that_its_code_is_not_ready()
    {
        Published(slowSeconds: 0);
        using (var http = new HttpClient())
            (await http.PostAsync($"{LocalStack.ControlPlane}/_local/fault?target={_name}&error=Lambda.CodeArtifactUserPendingException&count=2", null)).EnsureSuccessStatusCode();
        var run = RunOnAws();
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("! slow: Lambda.CodeArtifactUserPendingException: Lambda is initializing your function", run.Output);
        Assert.Matches(@"base\s+SUCCEEDED", run.Output);
        Assert.Contains("| code A", run.Output);
    }
}
