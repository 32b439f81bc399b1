using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>The SDK's Lambda handler, run by python3 with boto3 against a real S3 server, on the template's model.</summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)]
public sealed class HandlerTests : IDisposable
{
    private readonly TempDirectory _dir = new("handler");
    private readonly string _bucket = $"qtz-h-{Guid.NewGuid():N}"[..20];
    private readonly string _taskRoot;
    private readonly AmazonS3Client _s3 = new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });

    public HandlerTests()
    {
        // What the image holds at LAMBDA_TASK_ROOT: the model's code and the SDK's handler.
        _taskRoot = _dir.Combine("task");
        TempDirectory.CopyDirectory(Path.Combine(Repository.TemplateContent, "steps"), Path.Combine(_taskRoot, "steps"));
        File.Copy(Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild", "handler", "quetzal_handler.py"), Path.Combine(_taskRoot, "quetzal_handler.py"));
    }

    public void Dispose()
    {
        _s3.Dispose();
        _dir.Dispose();
    }

    private async Task Seed()
    {
        await _s3.PutBucketAsync(_bucket);
        var folder = Path.Combine(Repository.TemplateContent, "scenarios", "base");
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "base/" + Path.GetRelativePath(folder, file).Replace('\\', '/'), FilePath = file, UseChunkEncoding = false });
        // A scenario whose name starts like base's: the handler must never read or write it.
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "base 1/inputs/params.json", ContentBody = "[]", UseChunkEncoding = false });
    }

    private JsonElement Invoke(string notebook, string scenario = "base")
    {
        var training = _dir.Combine("training-" + Guid.NewGuid().ToString("N")[..6]);
        var evt = new
        {
            notebook_path = notebook,
            scenario_path_S3 = scenario + "/",
            launcher_arg = new { scenario, training_folder = training, @params = new { general = new { demand_factor = 2.0 } } },
            metadata = new { user_email = "modeller@example.com" },
        };
        var env = LocalStack.Environment_();
        env["BUCKET_NAME"] = _bucket;
        env["LAMBDA_TASK_ROOT"] = _taskRoot;
        var result = Processes.Run("/usr/bin/python3", [Path.Combine(Repository.Root, "tests", "Quetzal.Sdk.Tests", "Stack", "run_handler.py"), _taskRoot, JsonSerializer.Serialize(evt)], env);
        Assert.True(result.ExitCode == 0, result.ToString());
        const string marker = "QUETZAL-ANSWER:";
        var answer = result.Output.Split('\n').Single(l => l.StartsWith(marker, StringComparison.Ordinal));
        return JsonDocument.Parse(answer[marker.Length..]).RootElement.Clone();
    }

    private async Task<string> Read(string key)
    {
        using var response = await _s3.GetObjectAsync(_bucket, key);
        using var reader = new StreamReader(response.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    [StackFact]
    public async Task The_template_workflow_runs_step_by_step_and_its_outputs_and_logs_land_in_the_scenario()
    {
        LocalStack.EnsureRunning();
        await Seed();
        var first = Invoke("steps/network_summary.py");
        Assert.Equal("base/", first.GetProperty("result").GetProperty("scenario_path_S3").GetString());
        var second = Invoke("steps/loaded_links.py");
        Assert.True(second.TryGetProperty("result", out _), second.ToString());

        var summary = JsonDocument.Parse(await Read("base/outputs/network_summary.json")).RootElement;
        Assert.Equal(3, summary.GetProperty("road").GetProperty("links").GetInt32());
        Assert.Equal(1, summary.GetProperty("pt").GetProperty("trips").GetInt32());
        var loaded = JsonDocument.Parse(await Read("base/outputs/loaded_links.geojson")).RootElement;
        // demand_factor 2.0 from launcher_arg: 2 lanes x 1800 x 0.6 x 2.0
        Assert.Equal(4320.0, loaded.GetProperty("features")[0].GetProperty("properties").GetProperty("volume").GetDouble());
        Assert.Contains("loaded 3 road links with demand_factor=2.0", await Read("base/logs/loaded_links.txt"));

        var metadata = await _s3.GetObjectMetadataAsync(_bucket, "base/outputs/loaded_links.geojson");
        Assert.Equal("modeller@example.com", metadata.Metadata["user_email"]);
        var keys = (await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })).S3Objects.Select(o => o.Key).ToArray();
        Assert.DoesNotContain(keys, k => k.StartsWith("base/./", StringComparison.Ordinal) || k.StartsWith("base 1/outputs", StringComparison.Ordinal));
        Assert.DoesNotContain("base/inputs/params.json.tmp", keys);
    }

    [StackFact]
    public async Task A_failing_step_raises_with_the_tail_of_its_output_and_still_uploads_its_log()
    {
        LocalStack.EnsureRunning();
        await Seed();
        File.WriteAllText(Path.Combine(_taskRoot, "steps", "broken.py"),
            "import sys\nfor i in range(100): print('progress', i)\nprint('Traceback: assignment diverged at iteration 7', file=sys.stderr)\nsys.exit(3)\n");
        var failure = Invoke("steps/broken.py");
        Assert.Equal("StepFailed", failure.GetProperty("error").GetString());
        var message = failure.GetProperty("message").GetString()!;
        Assert.Contains("exited with code 3", message);
        Assert.Contains("assignment diverged at iteration 7", message);
        Assert.DoesNotContain("progress 10\n", message);
        Assert.Contains("assignment diverged", await Read("base/logs/broken.txt"));
    }

    /// <summary>A Jupyter notebook (nbformat 4) of these code cells, with a markdown cell between the first two.</summary>
    internal static string Notebook(params string[] cells)
    {
        var all = cells.Select(c => (object)new { cell_type = "code", execution_count = (int?)null, metadata = new { }, outputs = Array.Empty<object>(), source = c }).ToList();
        all.Insert(Math.Min(1, all.Count), new { cell_type = "markdown", metadata = new { }, source = "## What this step does\nReads the scenario, writes its outputs." });
        return JsonSerializer.Serialize(new
        {
            cells = all, nbformat = 4, nbformat_minor = 5,
            metadata = new { kernelspec = new { name = "python3", display_name = "Python 3", language = "python" }, language_info = new { name = "python" } },
        });
    }

    [StackFact]
    public async Task A_notebook_step_runs_in_its_folder_with_its_neighbours_importable_and_leaves_no_converted_script()
    {
        LocalStack.EnsureRunning();
        await Seed();
        // In notebooks/ as real models keep them, importing the model's code from there; steps/ is a neighbour folder.
        var notebooks = Path.Combine(_taskRoot, "notebooks");
        Directory.CreateDirectory(notebooks);
        File.Copy(Path.Combine(_taskRoot, "steps", "model_io.py"), Path.Combine(notebooks, "model_io.py"));
        File.WriteAllText(Path.Combine(notebooks, "assign.ipynb"), Notebook(
            "import os\nfrom model_io import launcher_arg, scenario_path, write_json",
            "arg = launcher_arg()\nfactor = arg['params']['general']['demand_factor']\n"
                + "write_json(scenario_path(arg, 'outputs', 'assignment.json'), {'factor': factor, 'folder': os.path.basename(os.getcwd())})\n"
                + "print('assigned with demand_factor', factor)"));

        var result = Invoke("notebooks/assign.ipynb");
        Assert.True(result.TryGetProperty("result", out _), result.ToString());
        var output = JsonDocument.Parse(await Read("base/outputs/assignment.json")).RootElement;
        Assert.Equal(2.0, output.GetProperty("factor").GetDouble());
        Assert.Equal("notebooks", output.GetProperty("folder").GetString());
        Assert.Contains("assigned with demand_factor 2", await Read("base/logs/assign.txt"));
        // Nothing but the step's output and its log went up: no converted script, no checkpoint.
        var keys = (await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "base/" })).S3Objects.Select(o => o.Key).ToArray();
        Assert.Equal(["base/logs/assign.txt", "base/outputs/assignment.json"],
            keys.Where(k => k.StartsWith("base/logs/", StringComparison.Ordinal) || k.StartsWith("base/outputs/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(keys, k => k.EndsWith(".py", StringComparison.Ordinal));
    }

    [StackFact]
    public async Task A_notebook_that_cannot_be_converted_fails_with_the_reason_in_the_answer_and_the_log()
    {
        LocalStack.EnsureRunning();
        await Seed();
        Directory.CreateDirectory(Path.Combine(_taskRoot, "notebooks"));
        File.WriteAllText(Path.Combine(_taskRoot, "notebooks", "damaged.ipynb"), "{\"cells\": [ {\"cell_type\": ");
        var failure = Invoke("notebooks/damaged.ipynb");
        Assert.Equal("StepFailed", failure.GetProperty("error").GetString());
        var message = failure.GetProperty("message").GetString()!;
        Assert.Contains("damaged.ipynb could not be converted to a script", message);
        Assert.Contains("damaged.ipynb could not be converted to a script", await Read("base/logs/damaged.txt"));
    }

    [StackFact]
    public async Task Success_is_the_exit_code_not_the_word_error_and_a_chatty_step_never_hangs()
    {
        LocalStack.EnsureRunning();
        await Seed();
        // 200,000 lines (about 6 MB) through stdout and stderr: a handler that read the pipe only at the end would block.
        File.WriteAllText(Path.Combine(_taskRoot, "steps", "chatty.py"),
            "import sys\nfor i in range(100000):\n    print('Error count so far:', i)\n    print('warning line', i, file=sys.stderr)\n");
        var result = Invoke("steps/chatty.py");
        Assert.True(result.TryGetProperty("result", out _), result.ToString());
        var log = await Read("base/logs/chatty.txt");
        Assert.Contains("Error count so far: 99999", log);
    }
}
