using System.Text.RegularExpressions;
using System.Text.Json;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>`dotnet run` of a scaffolded model, from the packed packages, in python mode.</summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class RunTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();

    public void Dispose() => _workspace.Dispose();

    private string Scaffold()
    {
        var result = packages.New(_workspace.Path, "quetzal-model", "-n", "run-model");
        Assert.True(result.Succeeded, result.ToString());
        return _workspace.Combine("run-model");
    }

    private ProcessResult Run(string model, params string[] extra) => packages.Run(model, ["run", .. (extra.Length > 0 ? ["--", .. extra] : Array.Empty<string>())]);

    [Fact]
    public void Help_shows_only_what_a_modeller_types_and_a_mistyped_option_names_the_nearest()
    {
        var model = Scaffold();
        var help = Run(model, "--help");
        Assert.True(help.Succeeded, help.ToString());
        Assert.Contains("dotnet run [-- options]", help.Output);
        foreach (var option in new[] { "--scenario", "--input", "--mode", "--workflow", "--follow", "--detach", "--allow-stale" })
            Assert.Contains(option, help.Output);
        foreach (var internalOption in new[] { "--model-dir", "--state-machine", "--bucket", "--function", "--ecs-cpu", "--sdk-state", "Quetzal.Sdk.Msbuild", "REQUIRED" })
            Assert.DoesNotContain(internalOption, help.Output, StringComparison.OrdinalIgnoreCase);

        var typo = Run(model, "--scenaro", "base");
        Assert.False(typo.Succeeded);
        Assert.Contains("error QTZ5012: '--scenaro' is not an option of dotnet run. Did you mean '--scenario'?", typo.Output);
        Assert.DoesNotContain("'base' is not an option", typo.Output);
        Assert.DoesNotContain("--model-dir", typo.Output);
    }

    [Fact]
    public void The_template_workflow_runs_locally_and_its_outputs_land_at_the_scenario_keys()
    {
        var model = Scaffold();
        var result = Run(model);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("> network_summary (Task)", result.Output);
        Assert.Contains("< loaded_links (Task)", result.Output);
        Assert.Contains("  | loaded 3 road links with demand_factor=1.0", result.Output);
        Assert.Contains("Run succeeded", result.Output);

        var bucket = Path.Combine(model, "bin", "quetzal-run", "bucket", "base");
        Assert.Contains($"outputs: {Path.Combine(bucket, "outputs")}", result.Output);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(bucket, "outputs", "network_summary.json"))).RootElement;
        Assert.Equal(2, summary.GetProperty("pt").GetProperty("links").GetInt32());
        var loaded = JsonDocument.Parse(File.ReadAllText(Path.Combine(bucket, "outputs", "loaded_links.geojson"))).RootElement;
        Assert.Equal(2160.0, loaded.GetProperty("features")[0].GetProperty("properties").GetProperty("volume").GetDouble());
        Assert.Contains("loaded 3 road links", File.ReadAllText(Path.Combine(bucket, "logs", "loaded_links.txt")));
        // Inputs are where S3 keeps them too; the model's own scenario folder is left as it was.
        Assert.True(File.Exists(Path.Combine(bucket, "inputs", "params.json")));
        Assert.False(Directory.Exists(Path.Combine(model, "scenarios", "base", "outputs")));
    }

    [Fact]
    public void A_model_made_of_steps_runs_with_validation_off()
    {
        var model = Scaffold();
        File.Delete(Path.Combine(model, "step-functions.json"));
        var project = Path.Combine(model, "run-model.quetzalproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", """
              <ItemGroup>
                <QuetzalStep Include="steps/network_summary.py" />
                <QuetzalStep Include="steps/loaded_links.py" StateName="assignment" />
              </ItemGroup>
            </Project>
            """));
        var result = packages.Run(model, ["run", "-p:QuetzalValidateOnBuild=false"]);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("> network_summary (Task)", result.Output);
        Assert.Contains("< assignment (Task)", result.Output);
        Assert.Contains("Run succeeded", result.Output);
    }

    [Fact]
    public void Another_scenario_and_an_execution_input_can_be_given()
    {
        var model = Scaffold();
        TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), Path.Combine(model, "scenarios", "peak"));
        var result = Run(model, "--scenario", "peak", "--input", """{"scenario_path_S3":"peak/","launcher_arg":{"params":{"general":{"demand_factor":3}}},"metadata":{}}""");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("loaded 3 road links with demand_factor=3.0", result.Output);
        Assert.True(File.Exists(Path.Combine(model, "bin", "quetzal-run", "bucket", "peak", "outputs", "loaded_links.geojson")));
    }

    [Fact]
    public void The_state_machines_timeout_ends_the_run_as_the_workflows_failure_with_states_timeout()
    {
        var model = Scaffold();
        var machine = Path.Combine(model, "step-functions.json");
        File.WriteAllText(machine, File.ReadAllText(machine).Replace("\"StartAt\":", "\"TimeoutSeconds\": 1,\n  \"StartAt\":", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"), "import time\nprint('assigning...', flush=True)\ntime.sleep(30)\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Run(model);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("error QTZ5002", result.Output);
        Assert.Contains("States.Timeout", result.Output);
        Assert.Contains("the state machine's TimeoutSeconds", result.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"the step should have been stopped at the machine's deadline, not run its 30 s: {clock.Elapsed}");
    }

    [Fact]
    public void A_failing_step_names_the_state_shows_its_output_and_exits_non_zero()
    {
        var model = Scaffold();
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"),
            "import sys\nprint('assigning...')\nprint('Traceback: demand matrix is empty', file=sys.stderr)\nsys.exit(4)\n");
        var result = Run(model);
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ5001: State 'loaded_links' failed: StepFailed: loaded_links.py exited with code 4", result.Output);
        Assert.Contains("demand matrix is empty", result.Output);
        // Both states ran: the first succeeded, the second failed.
        Assert.Contains("Run failed", result.Output);
        Assert.Contains("2 states of scenario 'base' ran, the last one failed.", result.Output);
    }

    [Fact]
    public void A_step_prints_where_its_files_land_and_a_silent_step_is_said_to_be_still_running()
    {
        var model = Scaffold();
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"), "import time\ntime.sleep(3)\nprint('done')\n");
        var result = packages.Run(model, ["run"], new Dictionary<string, string> { ["QUETZAL_STILL_RUNNING_SECONDS"] = "1" });
        Assert.True(result.Succeeded, result.ToString());
        // model_io's write_json prints the path it wrote: the bucket folder's, not the throw-away training folder's.
        Assert.Contains($"  | wrote {Path.Combine(model, "bin", "quetzal-run", "bucket", "base", "outputs", "network_summary.json")}", result.Output);
        Assert.DoesNotContain(Path.Combine("quetzal-run", "tmp"), result.Output);
        Assert.Contains("... loaded_links is still running (0:00:0", result.Output);
        Assert.True(result.Output.IndexOf("still running", StringComparison.Ordinal) < result.Output.IndexOf("  | done", StringComparison.Ordinal), result.Output);
    }

    [Fact]
    public void Several_scenarios_run_one_after_another_and_each_run_is_kept_apart_from_the_last()
    {
        var model = Scaffold();
        var peak = Path.Combine(model, "scenarios", "peak-hour");
        TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), peak);
        var paramsFile = Path.Combine(peak, "inputs", "params.json");
        File.WriteAllText(paramsFile, File.ReadAllText(paramsFile).Replace("\"value\": 1.0", "\"value\": 2.5"));

        var first = Run(model, "--scenario", "base", "--scenario", "peak-hour");
        Assert.True(first.Succeeded, first.ToString());
        Assert.DoesNotContain("QTZ5007", first.Output);
        Assert.Contains("=== scenario 'base' (1 of 2) ===", first.Output);
        Assert.Contains("=== scenario 'peak-hour' (2 of 2) ===", first.Output);
        Assert.True(first.Output.IndexOf("demand_factor=1.0", StringComparison.Ordinal) < first.Output.IndexOf("demand_factor=2.5", StringComparison.Ordinal), first.Output);
        Assert.Matches(@"peak-hour\s+succeeded", first.Output);
        var bucket = Path.Combine(model, "bin", "quetzal-run", "bucket");
        Assert.True(File.Exists(Path.Combine(bucket, "base", "outputs", "loaded_links.geojson")));
        Assert.True(File.Exists(Path.Combine(bucket, "peak-hour", "outputs", "loaded_links.geojson")));

        // A second run of base keeps the first one's results, whole, beside it; the latest is where it always is.
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"), "print('nothing this time')\n");
        var second = Run(model, "-s", "base");
        Assert.True(second.Succeeded, second.ToString());
        var runs = Path.Combine(model, "bin", "quetzal-run", "runs", "base");
        var earlier = Assert.Single(Directory.GetDirectories(runs));
        Assert.Matches(@"^\d{8}-\d{6}-python$", Path.GetFileName(earlier));
        Assert.Contains($"the previous run's results: {earlier}", second.Output);
        Assert.True(File.Exists(Path.Combine(earlier, "outputs", "loaded_links.geojson")));
        Assert.False(File.Exists(Path.Combine(bucket, "base", "outputs", "loaded_links.geojson")));
        Assert.True(File.Exists(Path.Combine(bucket, "base", "outputs", "network_summary.json")));

        // A failing scenario fails the run, after the others ran.
        File.WriteAllText(Path.Combine(peak, "inputs", "params.json"), File.ReadAllText(Path.Combine(model, "scenarios", "base", "inputs", "params.json")));
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"), "import json, sys\nsys.exit(3 if 'peak' in sys.argv[1] else 0)\n");
        var third = Run(model, "--scenario", "peak-hour,base");
        Assert.False(third.Succeeded);
        Assert.Matches(@"peak-hour\s+failed", third.Output);
        Assert.Matches(@"base\s+succeeded", third.Output);
    }

    [Fact]
    public void Several_scenarios_run_side_by_side_with_parallel_each_line_led_by_its_scenario()
    {
        var model = Scaffold();
        TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), Path.Combine(model, "scenarios", "peak-hour"));
        // A step that says when it began and ended (the clock of the machine), and takes a while.
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.py"),
            "import time\nprint(f'began {time.time():.3f}', flush=True)\ntime.sleep(3)\nprint(f'ended {time.time():.3f}', flush=True)\n");

        var result = Run(model, "--scenario", "base,peak-hour", "--parallel", "2");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("Running 2 scenarios, 2 side by side (--parallel)", result.Output);
        Assert.Matches(@"base\s+succeeded", result.Output);
        Assert.Matches(@"peak-hour\s+succeeded", result.Output);
        // Every line of a run names its scenario; the two steps overlapped in time.
        (double Began, double Ended) Span(string scenario)
        {
            var lines = result.Output.Split('\n').Where(l => l.StartsWith($"[{scenario}", StringComparison.Ordinal)).ToList();
            Assert.Contains(lines, l => l.Contains($"running run-model on scenario '{scenario}'", StringComparison.Ordinal));
            double At(string word) => double.Parse(Regex.Match(string.Join("\n", lines), word + @" (\d+\.\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return (At("began"), At("ended"));
        }
        var (baseBegan, baseEnded) = Span("base");
        var (peakBegan, peakEnded) = Span("peak-hour");
        Assert.True(baseBegan < peakEnded && peakBegan < baseEnded, $"the steps did not overlap:\n{result.Output}");
        Assert.DoesNotContain("=== scenario", result.Output);
        var bucket = Path.Combine(model, "bin", "quetzal-run", "bucket");
        Assert.True(File.Exists(Path.Combine(bucket, "base", "outputs", "network_summary.json")));
        Assert.True(File.Exists(Path.Combine(bucket, "peak-hour", "outputs", "network_summary.json")));

        var refused = Run(model, "--scenario", "base,peak-hour", "--parallel", "0");
        Assert.False(refused.Succeeded);
        Assert.Contains("--parallel is how many scenarios run side by side: 1 or more, not 0", refused.Output);
    }

    [StackFact]
    public void Docker_mode_runs_the_workflow_in_the_models_image_through_the_runtime_interface_emulator()
    {
        LocalStack.EnsureRunning();
        var model = Scaffold();
        var result = packages.Run(model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "docker"]);
        Assert.True(result.Succeeded, result.ToString());
        // The model's code goes on the dependencies' image (built before, here or by an earlier build of the same ones).
        Assert.Matches(@"Step 1/2 : FROM \S+:deps-[0-9a-f]{16}", result.Output);
        Assert.Contains("Step 2/2 : COPY .quetzal/model/ ${LAMBDA_TASK_ROOT}/", result.Output);
        Assert.Contains("  | loaded 3 road links with demand_factor=1.0", result.Output);
        var outputs = Path.Combine(model, "bin", "quetzal-run", "bucket", "base", "outputs");
        var loaded = JsonDocument.Parse(File.ReadAllText(Path.Combine(outputs, "loaded_links.geojson"))).RootElement;
        Assert.Equal(2160.0, loaded.GetProperty("features")[0].GetProperty("properties").GetProperty("volume").GetDouble());
        // The container is gone after the run.
        Assert.DoesNotContain("run-model:local-", Processes.Run("docker", ["ps", "-a", "--format", "{{.Image}}"]).Output);
    }

    [StackFact]
    public void Docker_mode_reports_a_failing_step_with_its_code()
    {
        LocalStack.EnsureRunning();
        var model = Scaffold();
        File.WriteAllText(Path.Combine(model, "steps", "network_summary.py"), "import sys\nprint('no network here', file=sys.stderr)\nsys.exit(2)\n");
        var result = packages.Run(model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "docker"]);
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ5001: State 'network_summary' failed: StepFailed: network_summary.py exited with code 2", result.Output);
        Assert.Contains("no network here", result.Output);
    }

    /// <summary>The template's second step as a Jupyter notebook (steps/loaded_links.ipynb), the script removed.</summary>
    private static void MakeSecondStepANotebook(string model)
    {
        var script = Path.Combine(model, "steps", "loaded_links.py");
        var code = File.ReadAllText(script);
        var split = code.IndexOf("arg = launcher_arg()", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(model, "steps", "loaded_links.ipynb"), Stack.HandlerTests.Notebook(code[..split], code[split..]));
        File.Delete(script);
        var machine = Path.Combine(model, "step-functions.json");
        File.WriteAllText(machine, File.ReadAllText(machine).Replace("steps/loaded_links.py", "steps/loaded_links.ipynb", StringComparison.Ordinal));
    }

    [StackFact]
    public void A_notebook_step_runs_locally_in_python_and_in_docker_mode()
    {
        LocalStack.EnsureRunning(); // installs nbconvert for the machine's Python and the test base image
        var model = Scaffold();
        MakeSecondStepANotebook(model);

        var python = packages.Run(model, ["run", "-p:QuetzalPython=/usr/bin/python3"]);
        Assert.True(python.Succeeded, python.ToString());
        // The template's requirements.txt does not list nbconvert: the build says so (this base image has it).
        Assert.Contains("warning QTZ2011: State 'loaded_links' runs the notebook 'steps/loaded_links.ipynb'", python.Output);
        Assert.Contains("  | loaded 3 road links with demand_factor=1.0", python.Output);
        var loaded = Path.Combine(model, "bin", "quetzal-run", "bucket", "base", "outputs", "loaded_links.geojson");
        Assert.Equal(2160.0, JsonDocument.Parse(File.ReadAllText(loaded)).RootElement.GetProperty("features")[0].GetProperty("properties").GetProperty("volume").GetDouble());
        File.Delete(loaded);

        // In the image, nbconvert's templates are where `pip install --target $LAMBDA_TASK_ROOT` (the generated
        // Dockerfile) puts them, under the task root's share/jupyter; the test base image has none of its own.
        TempDirectory.CopyDirectory("/usr/share/jupyter/nbconvert", Path.Combine(model, "share", "jupyter", "nbconvert"));
        var docker = packages.Run(model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "docker"]);
        Assert.True(docker.Succeeded, docker.ToString());
        Assert.Contains("  | loaded 3 road links with demand_factor=1.0", docker.Output);
        Assert.True(File.Exists(loaded));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(model, "bin", "quetzal-run", "bucket"), "*.py", SearchOption.AllDirectories), f => true);
    }

    [Fact]
    public void An_input_file_that_does_not_exist_or_is_not_json_is_a_coded_error()
    {
        var model = Scaffold();
        var missing = Run(model, "--input", "@nosuch.json");
        Assert.False(missing.Succeeded);
        Assert.Contains($"error QTZ5007: The execution input cannot be used: the file {Path.Combine(model, "nosuch.json")} does not exist", missing.Output);
        File.WriteAllText(Path.Combine(model, "input.json"), "{\"a\": ");
        var broken = Run(model, "--input", "@input.json");
        Assert.Contains("error QTZ5007", broken.Output);
        Assert.Contains("input.json is not valid JSON", broken.Output);
        Assert.DoesNotContain("QTZ9001", missing.Output + broken.Output);
    }

    [Fact]
    public void A_scenario_typed_in_composed_unicode_runs_the_folder_macos_named_in_decomposed_form()
    {
        var model = Scaffold();
        TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), Path.Combine(model, "scenarios", "sce\u0301nario 3"));
        var result = Run(model, "--scenario", "sc\u00e9nario 3");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("Run succeeded", result.Output);
    }

    [Fact]
    public void An_unknown_scenario_is_a_coded_error()
    {
        var model = Scaffold();
        var result = Run(model, "--scenario", "nope");
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ5006: Scenario 'nope' is not one of the model's: base.", result.Output);
    }
}
