using System.Text.Json.Nodes;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Evaluation;

/// <summary>The real Sdk.props and Sdk.targets from source, run by a real `dotnet build` with the freshly built tasks.</summary>
[Collection(DotNetBuilds.Name)]
public sealed class BuildTests : IDisposable
{
    private readonly TempDirectory _root = new("eval");

    public void Dispose() => _root.Dispose();

    /// <summary>The task ran its work (what it read, a setting or the SDK changed, or it has no record yet).</summary>
    private static void AssertRan(ProcessResult build, string task)
        => Assert.Contains($"Quetzal: {task} runs: ", build.Output);

    /// <summary>The task skipped its work: nothing it read changed since its last run.</summary>
    private static void AssertSkipped(ProcessResult build, string task)
        => Assert.Contains($"Quetzal: {task} is up to date: nothing it read changed since its last run.", build.Output);

    private static void AssertGreen(ProcessResult build)
    {
        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain(": warning ", build.Output);
    }

    [Fact]
    public void The_template_model_builds_green_and_gets_its_container_files()
    {
        var model = Models.FromSource(_root);
        var build = DotNet.Build(model);
        AssertGreen(build);
        Assert.StartsWith("# quetzal:generated", File.ReadAllText(Path.Combine(model, "Dockerfile")));
        Assert.Contains("\nscenarios\n", File.ReadAllText(Path.Combine(model, ".dockerignore")));
    }

    [Fact]
    public void A_second_build_skips_validation_and_generation_and_a_changed_input_validates_again()
    {
        var model = Models.FromSource(_root);
        AssertGreen(DotNet.Build(model));

        var second = DotNet.Build(model);
        AssertGreen(second);
        AssertSkipped(second, "ValidateQuetzalModel");
        AssertSkipped(second, "GenerateQuetzalContainerFiles");

        var links = Path.Combine(model, "scenarios", "base", "inputs", "road", "links.geojson");
        File.WriteAllText(links, File.ReadAllText(links).Replace("\"b\": \"road_node_2\"", "\"b\": \"ghost\""));
        File.SetLastWriteTimeUtc(links, DateTime.UtcNow.AddSeconds(2));
        var third = DotNet.Build(model);
        Assert.False(third.Succeeded);
        Assert.Contains("error QTZ1210", third.Output);
        Assert.DoesNotContain("QuetzalGenerateContainerFiles:", third.Output);
    }

    [Fact]
    public void A_build_that_skips_validation_says_the_warnings_of_the_last_one_again()
    {
        var model = Models.FromSource(_root);
        var links = Path.Combine(model, "scenarios", "base", "inputs", "road", "links.geojson");
        File.WriteAllText(links, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(links), "\"time\":\\s*[0-9.]+", "\"time\": null"));
        var first = DotNet.Build(model);
        Assert.True(first.Succeeded, first.ToString());
        var warning = first.Output.Split('\n').First(l => l.Contains("warning QTZ1212", StringComparison.Ordinal)).Trim();
        Assert.Contains("links have no 'time' value (null)", warning);

        var second = DotNet.Build(model);
        AssertSkipped(second, "ValidateQuetzalModel");
        Assert.Contains(warning, second.Output.Split('\n').Select(l => l.Trim()));
        Assert.Contains("validation skipped (nothing it reads changed)", second.Output);
    }

    [Fact]
    public void Changing_a_property_validates_again_and_a_deleted_step_is_noticed()
    {
        var model = Models.FromSource(_root);
        AssertGreen(DotNet.Build(model));

        var changed = DotNet.Build(model, "-p:QuetzalLambdaTimeout=901");
        Assert.False(changed.Succeeded);
        Assert.Contains("error QTZ1006: QuetzalLambdaTimeout is '901'", changed.Output);

        AssertGreen(DotNet.Build(model));
        File.Delete(Path.Combine(model, "steps", "loaded_links.py"));
        var deleted = DotNet.Build(model);
        Assert.Contains("error QTZ2008: State 'loaded_links' runs 'steps/loaded_links.py'", deleted.Output);
    }

    [Fact]
    public void A_failed_validation_is_not_remembered_as_a_success()
    {
        var model = Models.FromSource(_root);
        var first = DotNet.Build(model, "-p:QuetzalModelName=Bad");
        Assert.Contains("error QTZ1001", first.Output);
        var again = DotNet.Build(model, "-p:QuetzalModelName=Bad");
        Assert.Contains("error QTZ1001", again.Output);
    }

    [Fact]
    public void A_design_time_build_runs_no_validation_and_no_generation()
    {
        var model = Models.FromSource(_root);
        File.WriteAllText(Path.Combine(model, "scenarios", "base", "inputs", "road", "links.geojson"), "{ broken");
        var build = DotNet.Build(model, "-p:DesignTimeBuild=true", "-t:Build");
        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain("QTZ", build.Output);
        Assert.False(File.Exists(Path.Combine(model, "Dockerfile")));
    }

    [Fact]
    public void A_dockerfile_taken_over_by_the_user_is_left_alone_and_survives_clean()
    {
        var model = Models.FromSource(_root);
        var dockerfile = Path.Combine(model, "Dockerfile");
        File.WriteAllText(dockerfile, "FROM my-own-image\n");
        var build = DotNet.Build(model);
        AssertGreen(build);
        Assert.Contains("QTZ3001", build.Output);
        Assert.Equal("FROM my-own-image\n", File.ReadAllText(dockerfile));

        var clean = DotNet.Run(model, ["clean", "-nodeReuse:false", "-v:n"]);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.True(File.Exists(dockerfile));
        Assert.False(File.Exists(Path.Combine(model, ".dockerignore")));
        Assert.False(Directory.Exists(Path.Combine(model, "obj", "quetzal")));
    }

    [Fact]
    public void Clean_removes_the_generated_files()
    {
        var model = Models.FromSource(_root);
        AssertGreen(DotNet.Build(model));
        Assert.True(DotNet.Run(model, ["clean", "-nodeReuse:false"]).Succeeded);
        Assert.False(File.Exists(Path.Combine(model, "Dockerfile")));
        Assert.False(File.Exists(Path.Combine(model, ".dockerignore")));
    }

    [Fact]
    public void A_changed_base_image_regenerates_the_dockerfile()
    {
        var model = Models.FromSource(_root);
        AssertGreen(DotNet.Build(model));
        var build = DotNet.Build(model, "-p:QuetzalBaseImage=registry.local/python:3.11");
        AssertGreen(build);
        AssertRan(build, "GenerateQuetzalContainerFiles");
        Assert.Contains("FROM registry.local/python:3.11\n", File.ReadAllText(Path.Combine(model, "Dockerfile")));
    }

    [Fact]
    public void A_road_only_model_removes_the_pt_network_item()
    {
        var model = Models.FromSource(_root, items: "<QuetzalNetwork Remove=\"pt\" />");
        Directory.Delete(Path.Combine(model, "scenarios", "base", "inputs", "pt"), recursive: true);
        AssertGreen(DotNet.Build(model));
    }

    [Fact]
    public void Without_the_pt_network_item_a_missing_pt_file_is_an_error_that_names_the_opt_out()
    {
        var model = Models.FromSource(_root);
        Directory.Delete(Path.Combine(model, "scenarios", "base", "inputs", "pt"), recursive: true);
        var build = DotNet.Build(model);
        Assert.Contains("error QTZ1104: Scenario 'base' lacks 'inputs/pt/nodes.geojson'", build.Output);
    }

    [Fact]
    public void Steps_make_the_workflow_when_there_is_no_state_machine_file()
    {
        var model = Models.FromSource(_root, items: """
            <QuetzalStep Include="steps/network_summary.py" />
            <QuetzalStep Include="steps/loaded_links.py" StateName="assignment" />
            """);
        File.Delete(Path.Combine(model, "step-functions.json"));
        AssertGreen(DotNet.Build(model));
        var generated = File.ReadAllText(Path.Combine(model, "obj", "quetzal", "step-functions.json"));
        Assert.Contains("\"StartAt\": \"network_summary\"", generated);
        Assert.Contains("\"Next\": \"assignment\"", generated);
    }

    [Fact]
    public void The_workflow_is_made_from_the_steps_even_when_validation_is_off()
    {
        var model = Models.FromSource(_root, items: """
            <QuetzalStep Include="steps/network_summary.py" />
            """);
        File.Delete(Path.Combine(model, "step-functions.json"));
        var build = DotNet.Build(model, "-p:QuetzalValidateOnBuild=false");
        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains("\"StartAt\": \"network_summary\"", File.ReadAllText(Path.Combine(model, "obj", "quetzal", "step-functions.json")));
        var again = DotNet.Build(model, "-p:QuetzalValidateOnBuild=false");
        AssertSkipped(again, "GenerateQuetzalWorkflow");
    }

    [Fact]
    public void A_scenario_selection_that_names_no_scenario_is_a_coded_user_error_naming_it_and_the_property()
    {
        var model = Models.FromSource(_root);
        Directory.CreateDirectory(Path.Combine(model, "scenarios", "peak-hour"));
        TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), Path.Combine(model, "scenarios", "peak-hour"));
        // Every AWS endpoint on a closed port: the selection is refused before anything is read.
        var publish = DotNet.Run(model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", "-p:QuetzalScenarios=base%3Bnosuch", "-p:QuetzalDryRun=true"],
            new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9", ["AWS_ACCESS_KEY_ID"] = "x", ["AWS_SECRET_ACCESS_KEY"] = "y" });
        Assert.False(publish.Succeeded);
        Assert.Contains("error QTZ1108: QuetzalScenarios names 'nosuch', which is not one of the model's scenarios: base, peak-hour.", publish.Output);
        Assert.DoesNotContain("QTZ9001", publish.Output);
    }

    [Fact]
    public void Writing_the_tfvars_without_cors_or_identity_pool_says_what_the_tfvars_then_holds_and_what_follows()
    {
        var model = Models.FromSource(_root, "quetzal-lyon");
        var result = DotNet.Build(model, "-t:QuetzalWriteTfvars");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("warning QTZ4040: QuetzalCognitoIdentityPoolId is empty, so the tfvars sets cognito_identity_pool_id = \"\": Terraform creates the model's user role with no identity pool that may assume it", result.Output);
        Assert.Contains("warning QTZ4040: QuetzalCorsOrigins is empty, so the tfvars sets cors_allowed_origins = []: Terraform lets no browser origin call the bucket", result.Output);
        Assert.DoesNotContain("will ask for", result.Output);
    }

    [Fact]
    public void Scenario_items_can_be_removed_and_a_scenario_folder_without_inputs_then_passes()
    {
        var model = Models.FromSource(_root, items: "<QuetzalScenario Remove=\"draft\" />");
        Directory.CreateDirectory(Path.Combine(model, "scenarios", "draft"));
        AssertGreen(DotNet.Build(model));
    }

    [Fact]
    public void Every_scenario_folder_is_validated_by_default()
    {
        var model = Models.FromSource(_root);
        Directory.CreateDirectory(Path.Combine(model, "scenarios", "draft"));
        var build = DotNet.Build(model);
        Assert.Contains("error QTZ1104: Scenario 'draft' lacks 'inputs/params.json'", build.Output);
    }

    [Fact]
    public void Jupyter_checkpoints_and_hidden_folders_are_no_scenario_and_no_input()
    {
        var model = Models.FromSource(_root);
        // What Jupyter leaves when a modeller opens a scenario's notebook or params.json in it, and a hidden folder.
        var checkpoints = Path.Combine(model, "scenarios", ".ipynb_checkpoints");
        Directory.CreateDirectory(checkpoints);
        File.WriteAllText(Path.Combine(checkpoints, "notes-checkpoint.ipynb"), "{}");
        Directory.CreateDirectory(Path.Combine(model, "scenarios", ".cache"));
        Directory.CreateDirectory(Path.Combine(model, "scenarios", "__pycache__"));
        var inputCheckpoints = Path.Combine(model, "scenarios", "base", "inputs", ".ipynb_checkpoints");
        Directory.CreateDirectory(inputCheckpoints);
        File.WriteAllText(Path.Combine(inputCheckpoints, "params-checkpoint.json"), "[ not json");
        var build = DotNet.Build(model);
        AssertGreen(build);
        Assert.DoesNotContain("QTZ1104", build.Output);
        var items = DotNet.Run(model, ["msbuild", "-nodeReuse:false", "-getItem:QuetzalScenario"]);
        Assert.True(items.Succeeded, items.ToString());
        Assert.Contains("\"Identity\": \"base\"", items.Output);
        Assert.DoesNotContain("ipynb_checkpoints", items.Output);
        Assert.DoesNotContain(".cache", items.Output);
        Assert.DoesNotContain("__pycache__", items.Output);
    }

    [Fact]
    public void Custom_before_and_after_hooks_are_imported()
    {
        var hooks = _root.Write("hooks.targets", """
            <Project>
              <Target Name="ShowHook" AfterTargets="QuetzalValidate"><Message Importance="high" Text="hook saw $(QuetzalModelName)" /></Target>
            </Project>
            """);
        var props = _root.Write("hooks.props", "<Project><PropertyGroup><QuetzalModelName>from-hook</QuetzalModelName></PropertyGroup></Project>");
        // Props hooks run before the project body, so they come from outside it (here the command line; usually Directory.Build.props).
        var model = Models.FromSource(_root, properties: $"<CustomAfterQuetzalTargets>{hooks}</CustomAfterQuetzalTargets>");
        var build = DotNet.Build(model, $"-p:CustomBeforeQuetzalProps={props}");
        AssertGreen(build);
        Assert.Contains("hook saw from-hook", build.Output);
    }

    [Fact]
    public void The_sdk_marks_the_project_and_exposes_its_defaults()
    {
        var model = Models.FromSource(_root);
        var result = DotNet.Run(model, ["msbuild", "-nodeReuse:false", "-getProperty:UsingQuetzalSdk", "-getProperty:QuetzalBucketName", "-getProperty:QuetzalLambdaMemorySize",
            "-getProperty:QuetzalBaseImage", "-getProperty:QuetzalAwsRegion", "-getItem:QuetzalScenario", "-getItem:QuetzalNetwork", "-getItem:None"]);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("\"UsingQuetzalSdk\": \"true\"", result.Output);
        Assert.Contains("\"QuetzalBucketName\": \"demo-model\"", result.Output);
        Assert.Contains("\"QuetzalLambdaMemorySize\": \"4016\"", result.Output);
        Assert.Contains("\"QuetzalBaseImage\": \"public.ecr.aws/lambda/python:3.12\"", result.Output);
        Assert.Contains("\"QuetzalAwsRegion\": \"ca-central-1\"", result.Output);
        Assert.Contains("\"Identity\": \"base\"", result.Output);
        Assert.Contains("\"Identity\": \"road\"", result.Output);
        // Model files show in the IDE as items.
        Assert.Contains("steps/loaded_links.py", result.Output.Replace('\\', '/'));
    }

    [Fact]
    public void A_cpu_and_memory_pair_fargate_cannot_run_fails_the_build_naming_the_project()
    {
        var model = Models.FromSource(_root, "quetzal-ecs-size", properties: "<QuetzalEcsCpu>256</QuetzalEcsCpu><QuetzalEcsMemory>4096</QuetzalEcsMemory><QuetzalEcsStorage>250</QuetzalEcsStorage>");
        var result = DotNet.Build(model);
        Assert.False(result.Succeeded);
        Assert.Contains("quetzal-ecs-size.quetzalproj : error QTZ1009: QuetzalEcsMemory is '4096': with QuetzalEcsCpu 256 (0.25 vCPU), Fargate takes 512, 1024 or 2048 MiB.", result.Output);
        Assert.Contains("error QTZ1009: QuetzalEcsStorage is '250'", result.Output);
    }

    [Fact]
    public void A_state_machine_mixing_lambda_and_fargate_builds_and_asks_for_subnets_before_a_publish()
    {
        var model = Models.FromSource(_root, "quetzal-mixed");
        var path = Path.Combine(model, "step-functions.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Resource\": \"arn:aws:states:::lambda:invoke\",\n      \"OutputPath\": \"$.Payload\",\n      \"Parameters\": {\n        \"FunctionName\": \"${LambdaFunctionArn}\",\n        \"Payload\": {\n          \"notebook_path\": \"steps/loaded_links.py\",",
            "\"Resource\": \"arn:aws:states:::ecs:runTask.sync\",\n      \"Parameters\": {\n        \"notebook_path\": \"steps/loaded_links.py\", \"Payload\": {"));
        Assert.Contains("ecs:runTask.sync", File.ReadAllText(path));
        var result = DotNet.Build(model);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("warning QTZ1010: State 'loaded_links' runs on Fargate", result.Output);

        // With its network set, the same model builds clean; a publish without one is refused before anything is read.
        var networked = DotNet.Build(model, "-p:QuetzalEcsSubnets=subnet-0123abcd");
        Assert.True(networked.Succeeded, networked.ToString());
        Assert.DoesNotContain("QTZ1010", networked.Output);
        var publish = DotNet.Run(model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", "-p:QuetzalDryRun=true"],
            new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9", ["AWS_ACCESS_KEY_ID"] = "x", ["AWS_SECRET_ACCESS_KEY"] = "y" });
        Assert.False(publish.Succeeded);
        Assert.Contains("error QTZ4011: State 'loaded_links' runs on Fargate", publish.Output);
    }

    [Fact]
    public void A_step_with_compute_ecs_generates_a_fargate_state_and_an_unknown_compute_is_an_error()
    {
        var model = Models.FromSource(_root, "quetzal-compute", properties: "<QuetzalEcsSubnets>subnet-0123abcd</QuetzalEcsSubnets>", items: """
            <QuetzalStep Include="steps/network_summary.py" />
            <QuetzalStep Include="steps/loaded_links.py" Compute="ecs" />
            """);
        File.Delete(Path.Combine(model, "step-functions.json"));
        var result = DotNet.Build(model);
        Assert.True(result.Succeeded, result.ToString());
        var generated = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "obj", "quetzal", "step-functions.json")))!;
        Assert.Equal("arn:aws:states:::ecs:runTask.sync", (string?)generated["States"]!["loaded_links"]!["Resource"]);
        Assert.Equal("arn:aws:states:::lambda:invoke", (string?)generated["States"]!["network_summary"]!["Resource"]);

        var project = Path.Combine(model, "quetzal-compute.quetzalproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("Compute=\"ecs\"", "Compute=\"batch\""));
        var unknown = DotNet.Build(model);
        Assert.False(unknown.Succeeded);
        Assert.Contains("error QTZ2010: QuetzalStep 'steps/loaded_links.py': Compute is 'batch'; a step runs on 'lambda' (the default) or 'ecs' (Fargate).", unknown.Output);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DotNetBuilds
{
    public const string Name = "dotnet builds";
}
