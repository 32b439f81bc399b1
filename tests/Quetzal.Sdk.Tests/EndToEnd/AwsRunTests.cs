using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// `dotnet run -- --mode aws` from the packed packages against the local stack, whose control plane executes state
/// machines (the function's image through the runtime interface emulator, S3 the stack's server): the template's
/// model published, then run on "AWS" and compared file by file with a python-mode run; several scenarios at once;
/// a failing step; a stale deployment; Ctrl+C with --detach, then --follow.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class AwsRunTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"run-{Guid.NewGuid():N}"[..16];

    public void Dispose() => _workspace.Dispose();

    private string Model => _workspace.Combine(_name);

    private string Bucket(string scenario) => Path.Combine(Model, "bin", "quetzal-run", "bucket", scenario);

    /// <summary>The template's model with a second scenario, published to the stack (after what infra/ creates).</summary>
    private void Published(Action? change = null)
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        TempDirectory.CopyDirectory(Path.Combine(Model, "scenarios", "base"), Path.Combine(Model, "scenarios", "trial"));
        change?.Invoke();
        StackModels.CreateInfrastructure(_name);
        var publish = packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"], LocalStack.Environment_());
        Assert.True(publish.Succeeded, publish.ToString());
    }

    /// <summary>With the base image the publish used: the Dockerfile is part of what the deployment is compared with.</summary>
    private ProcessResult RunOnAws(params string[] options)
        => packages.Run(Model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "aws", .. options], LocalStack.Environment_());

    private static Dictionary<string, byte[]> Files(string folder)
        => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes);

    [StackFact]
    public void The_deployed_model_runs_on_aws_state_by_state_and_its_outputs_equal_a_python_runs_file_by_file()
    {
        Published();
        var python = packages.Run(Model, ["run", "-p:QuetzalPython=/usr/bin/python3", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"], LocalStack.Environment_());
        Assert.True(python.Succeeded, python.ToString());
        var local = Files(Path.Combine(Bucket("base"), "outputs"));
        Assert.Equal(["loaded_links.geojson", "network_summary.json"], local.Keys.Order());

        var aws = RunOnAws();
        Assert.True(aws.Succeeded, aws.ToString());
        var lines = aws.Output.Split('\n');
        int At(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(At("started base-") >= 0, aws.Output);
        Assert.True(At("> network_summary (Task)") < At("< network_summary (Task)") && At("< network_summary (Task)") < At("> loaded_links (Task)")
            && At("> loaded_links (Task)") < At("< loaded_links (Task)"), aws.Output);
        Assert.Contains("| loaded 3 road links with demand_factor=1.0", aws.Output); // the step's log, read from the bucket
        Assert.Matches(@"base\s+SUCCEEDED", aws.Output);

        var remote = Files(Path.Combine(Bucket("base"), "outputs"));
        Assert.Equal(local.Keys.Order(), remote.Keys.Order());
        foreach (var (file, bytes) in local) Assert.True(bytes.AsSpan().SequenceEqual(remote[file]), $"{file} differs between the python and the aws run");
        Assert.True(File.Exists(Path.Combine(Bucket("base"), "logs", "loaded_links.txt")));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(Bucket("base"), "info.json")))!["model_tag"]);
    }

    [StackFact]
    public void Several_scenarios_run_at_once_and_one_table_lists_them_all()
    {
        Published();
        var aws = RunOnAws("--scenario", "base", "--scenario", "trial");
        Assert.True(aws.Succeeded, aws.ToString());
        Assert.Contains("[base] ", aws.Output);
        Assert.Contains("[trial] ", aws.Output);
        Assert.Matches(@"\nbase\s+SUCCEEDED", aws.Output);
        Assert.Matches(@"\ntrial\s+SUCCEEDED", aws.Output);
        Assert.True(File.Exists(Path.Combine(Bucket("trial"), "outputs", "loaded_links.geojson")));
        Assert.True(File.Exists(Path.Combine(Bucket("base"), "outputs", "loaded_links.geojson")));
    }

    [StackFact]
    public void A_failing_step_exits_non_zero_with_a_coded_error_naming_the_state_and_its_log()
    {
        Published();
        var input = """{"scenario_path_S3":"base/","launcher_arg":{"scenario":"base","training_folder":"/tmp","params":{"general":{"demand_factor":"abc"}}},"metadata":{"user_email":"t@example.org"}}""";
        // What earlier runs left in the scenario: the log of a state since removed, an output this run does not write.
        using (var s3 = new Amazon.S3.AmazonS3Client(LocalStack.AccessKey, LocalStack.SecretKey, new Amazon.S3.AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true }))
        {
            s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _name, Key = "base/logs/removed_state.txt", ContentBody = "old" }).GetAwaiter().GetResult();
            s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _name, Key = "base/outputs/old.csv", ContentBody = "old" }).GetAwaiter().GetResult();
        }
        Thread.Sleep(2100); // S3's LastModified has whole seconds
        var aws = RunOnAws("--input", input);
        Assert.False(aws.Succeeded, aws.ToString());
        Assert.Contains("error QTZ5009: Scenario 'base': the execution on AWS failed in state 'loaded_links'", aws.Output);
        Assert.Contains("could not convert string to float: 'abc'", aws.Output);
        Assert.Matches(@"base\s+FAILED\s+[0-9.]+s\s+loaded_links", aws.Output);
        // A failed run still brings back what its steps wrote, and only that.
        Assert.Contains("files its steps wrote before it stopped", aws.Output);
        Assert.True(File.Exists(Path.Combine(Bucket("base"), "outputs", "network_summary.json")), aws.Output);
        Assert.True(File.Exists(Path.Combine(Bucket("base"), "logs", "loaded_links.txt")), aws.Output);
        Assert.False(File.Exists(Path.Combine(Bucket("base"), "logs", "removed_state.txt")), aws.Output);
        Assert.False(File.Exists(Path.Combine(Bucket("base"), "outputs", "old.csv")), aws.Output);
    }

    [StackFact]
    public void A_step_edited_after_the_publish_is_refused_with_what_differs_and_nothing_starts()
    {
        Published();
        File.AppendAllText(Path.Combine(Model, "steps", "loaded_links.py"), "\n# edited after the publish\n");
        var aws = RunOnAws();
        Assert.False(aws.Succeeded, aws.ToString());
        Assert.Contains($"error QTZ5010: What is deployed of '{_name}' is not what this folder holds: Image: new", aws.Output);
        Assert.Contains($"Lambda: would update {_name}: image", aws.Output);
        Assert.DoesNotContain("started ", aws.Output);
        var anyway = RunOnAws("--allow-stale");
        Assert.True(anyway.Succeeded, anyway.ToString());
    }

    /// <summary>The template's workflow with a first step that takes a while, so that Ctrl+C comes while the execution runs.</summary>
    private void WithASlowFirstStep()
        => StackModels.WithASlowFirstStep(Model, "import time\nprint('slow step starts')\ntime.sleep(8)\nprint('slow step ends')\n");

    /// <summary>`dotnet run -- --mode aws` as a terminal runs it (its own process group, no one to answer), interrupted by Ctrl+C once the slow step started.</summary>
    private async Task<(int ExitCode, string Output)> RunAndInterrupt(params string[] options)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = Model, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in (string[])["dotnet", "run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "aws", .. options]) start.ArgumentList.Add(argument);
        foreach (var (k, v) in packages.Environment) start.Environment[k] = v;
        foreach (var (k, v) in LocalStack.Environment_()) start.Environment[k] = v;
        var process = Process.Start(Processes.Interruptible(start))!;
        using var _ = Processes.Ending(process);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        string Text() { lock (output) return output.ToString(); }
        while (!Text().Contains("> slow (Task)", StringComparison.Ordinal))
        {
            Assert.False(process.HasExited, Text());
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), Text());
            await Task.Delay(50);
        }
        Assert.True(Processes.Run("kill", ["-INT", "--", $"-{process.Id}"]).Succeeded);
        Assert.True(process.WaitForExit(30_000), Text());
        process.WaitForExit();
        return (process.ExitCode, Text());
    }

    /// <summary>The execution's ARN, from the last command printed to follow it.</summary>
    private static string FollowCommandArn(string output)
    {
        const string command = "dotnet run -- --mode aws --follow ";
        var line = output.Split('\n').Select(l => l.Trim()).Last(l => l.Contains(command, StringComparison.Ordinal));
        return line[(line.IndexOf(command, StringComparison.Ordinal) + command.Length)..];
    }

    [StackFact]
    public async Task Ctrl_c_with_detach_leaves_the_execution_running_and_follow_picks_it_up()
    {
        Published(WithASlowFirstStep);
        var (code, printed) = await RunAndInterrupt("--detach");
        Assert.Equal(130, code);
        Assert.Contains("the executions keep running on AWS", printed);
        Assert.DoesNotContain("ABORTED", printed);

        var followed = RunOnAws("--follow", FollowCommandArn(printed));
        Assert.True(followed.Succeeded, followed.ToString());
        Assert.Contains("Quetzal: following", followed.Output);
        Assert.Contains("< loaded_links (Task)", followed.Output);
        Assert.Matches(@"base\s+SUCCEEDED", followed.Output);
        Assert.True(File.Exists(Path.Combine(Bucket("base"), "outputs", "loaded_links.geojson")));
    }

    [StackFact]
    public async Task Ctrl_c_without_detach_and_no_one_to_answer_stops_the_execution()
    {
        Published(WithASlowFirstStep);
        var (code, printed) = await RunAndInterrupt();
        Assert.Equal(130, code);
        var arn = FollowCommandArn(printed);
        Assert.Contains($"Quetzal: stopped {arn}", printed);
        using var sfn = new Quetzal.Sdk.Aws.StepFunctionsClient(new Quetzal.Sdk.Aws.AwsSettings("ca-central-1", null, n => LocalStack.Environment_().GetValueOrDefault(n),
            new Amazon.Runtime.BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey)));
        var execution = await sfn.DescribeExecutionAsync(arn, default);
        Assert.Equal("ABORTED", execution.Status);
        Assert.Equal("Quetzal.Interrupted", execution.Error);
    }
}
