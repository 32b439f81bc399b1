using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// A scaffolded model with one step moved to Fargate, from the packed packages: published to the local stack (the
/// task definition the stand-in holds, the state machine naming its revision, a second publish registering nothing,
/// teardown), its image run in container mode as the backend's API runs it (against the S3 server), and dotnet run
/// in both modes.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class FargateTests(PackedPackages packages) : IDisposable
{
    private const string Subnet = "subnet-0123456789abcdef0";
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"fg-{Guid.NewGuid():N}"[..15];
    private readonly AwsSettings _aws = new("ca-central-1", null, n => LocalStack.Environment_().GetValueOrDefault(n), new BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey));

    public void Dispose() => _workspace.Dispose();

    private string Model => _workspace.Combine(_name);

    /// <summary>The template's model, its second step on Fargate (as a modeller edits the state machine), a step that fails, and a 'trial' scenario.</summary>
    private void ScaffoldMixed(bool withInfrastructure)
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        var path = Path.Combine(Model, "step-functions.json");
        var machine = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        machine["States"]!["loaded_links"] = new JsonObject
        {
            ["Type"] = "Task", ["Resource"] = Fargate.RunTaskSync, ["Parameters"] = new JsonObject { ["notebook_path"] = "steps/loaded_links.py" }, ["End"] = true,
        };
        File.WriteAllText(path, machine.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(Model, "steps", "fails.py"), "import sys\nprint('about to fail')\nsys.exit(3)\n");
        var project = Path.Combine(Model, _name + ".quetzalproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</PropertyGroup>",
            $"  <QuetzalEcsSubnets>{Subnet}</QuetzalEcsSubnets>\n    <QuetzalEcsMemory>8192</QuetzalEcsMemory>\n    <QuetzalEcsStorage>30</QuetzalEcsStorage>\n    <QuetzalEcsTimeLimit>20</QuetzalEcsTimeLimit>\n  </PropertyGroup>"));
        TempDirectory.CopyDirectory(Path.Combine(Model, "scenarios", "base"), Path.Combine(Model, "scenarios", "trial"));
        if (!withInfrastructure) return;
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", _name, "--endpoint-url", LocalStack.ControlPlane], env).Succeeded);
        using var s3 = S3();
        s3.PutBucketAsync(_name).GetAwaiter().GetResult();
    }

    private ProcessResult Publish(params string[] extra)
        => packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", .. extra], LocalStack.Environment_());

    private static AmazonS3Client S3() => new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });

    private async Task<string?> Text(string key)
    {
        using var s3 = S3();
        try
        {
            using var response = await s3.GetObjectAsync(_name, key);
            return await new StreamReader(response.ResponseStream).ReadToEndAsync();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<int> Calls(string operation)
    {
        using var http = new HttpClient();
        var stats = JsonNode.Parse(await http.GetStringAsync($"{LocalStack.ControlPlane}/_local/stats"))!.AsObject();
        return (int?)stats[operation] ?? 0;
    }

    [StackFact]
    public async Task A_mixed_model_publishes_its_task_definition_and_a_state_machine_on_that_exact_revision()
    {
        ScaffoldMixed(withInfrastructure: true);
        var first = Publish();
        Assert.True(first.Succeeded, first.ToString());
        Assert.Contains($"Task definition: registered {_name}-task:1 on ", first.Output);

        using var lambda = new LambdaClient(_aws);
        var function = (await lambda.GetFunctionAsync(_name, default))!;
        using var ecs = new EcsClient(_aws);
        var revision = (await ecs.DescribeTaskDefinitionAsync(Fargate.Family(_name), default))!;
        var task = revision.Definition;
        var container = task["containerDefinitions"]![0]!;
        Assert.Equal(_name, (string?)container["name"]);
        // The version's tag, as the function's: what Quenedi shows for the family's newest revision.
        Assert.Equal(function.ImageUri, (string?)container["image"]);
        Assert.Matches(":v1$", (string?)container["image"]);
        Assert.Equal(("1024", "8192", 30), ((string?)task["cpu"], (string?)task["memory"], (int?)task["ephemeralStorage"]!["sizeInGiB"]));
        Assert.Equal(["FARGATE"], task["requiresCompatibilities"]!.AsArray().Select(c => (string?)c));
        var environment = container["environment"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        Assert.Equal((_name, "20"), (environment["BUCKET_NAME"], environment["TIME_LIMIT"]));
        Assert.Equal(JsonNode.Parse(await Text("base/info.json") ?? "{}")!["model_tag"]!.GetValue<string>(), environment["MODEL_TAG"]);
        Assert.Equal(("awslogs", $"/aws/ecs/{_name}", "ca-central-1"),
            ((string?)container["logConfiguration"]!["logDriver"], (string?)container["logConfiguration"]!["options"]!["awslogs-group"], (string?)container["logConfiguration"]!["options"]!["awslogs-region"]));
        Assert.Equal($"arn:aws:iam::123456789012:role/ecs-{_name}-execution-role", (string?)task["executionRoleArn"]);

        using var sfn = new StepFunctionsClient(_aws);
        var machine = JsonNode.Parse((await sfn.DescribeStateMachineAsync($"arn:aws:states:ca-central-1:123456789012:stateMachine:{_name}", default)).Definition)!;
        var fargate = machine["States"]!["loaded_links"]!["Parameters"]!;
        Assert.Equal(revision.Arn, (string?)fargate["TaskDefinition"]);
        Assert.EndsWith($":task-definition/{_name}-task:1", revision.Arn);
        Assert.Equal($"arn:aws:ecs:ca-central-1:123456789012:cluster/{_name}", (string?)fargate["Cluster"]);
        Assert.Equal(Subnet, (string?)fargate["NetworkConfiguration"]!["AwsvpcConfiguration"]!["Subnets"]![0]);
        Assert.Equal(function.Arn + ":1", (string?)machine["States"]!["network_summary"]!["Parameters"]!["FunctionName"]);

        // The backend's API reads the workflows and their steps from _common/steps.json.
        var steps = JsonNode.Parse((await Text("_common/steps.json"))!)!;
        Assert.Equal("""[{"name":"default","steps":[{"name":"network_summary","path":"steps/network_summary.py"},{"name":"loaded_links","path":"steps/loaded_links.py"}]}]""", steps.ToJsonString());

        // Nothing changed: nothing registered, and the state machine stays on revision 1.
        var registrations = await Calls("RegisterTaskDefinition");
        var again = Publish();
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains($"Task definition: unchanged ({_name}-task:1)", again.Output);
        Assert.Equal(registrations, await Calls("RegisterTaskDefinition"));

        // A setting changed: revision 2, and the state machine moves to it.
        var bigger = Publish("-p:QuetzalEcsCpu=2048");
        Assert.True(bigger.Succeeded, bigger.ToString());
        machine = JsonNode.Parse((await sfn.DescribeStateMachineAsync($"arn:aws:states:ca-central-1:123456789012:stateMachine:{_name}", default)).Definition)!;
        Assert.EndsWith($"task-definition/{_name}-task:2", (string?)machine["States"]!["loaded_links"]!["Parameters"]!["TaskDefinition"]);

        // Teardown deregisters every revision of the family.
        var teardown = packages.Run(Model, ["build", "-t:QuetzalTeardown", "-nodeReuse:false", $"-p:QuetzalConfirmTeardown={_name}"], LocalStack.Environment_());
        Assert.True(teardown.Succeeded, teardown.ToString());
        Assert.Contains($"ECS: deregistered 2 revisions of {_name}-task", teardown.Output);
        Assert.Empty(await ecs.ListTaskDefinitionsAsync(Fargate.Family(_name), "ACTIVE", default));
        Assert.Null(await ecs.DescribeTaskDefinitionAsync(Fargate.Family(_name), default));
    }

    [StackFact]
    public async Task The_published_image_runs_in_container_mode_as_the_backends_api_starts_it()
    {
        ScaffoldMixed(withInfrastructure: true);
        var published = Publish();
        Assert.True(published.Succeeded, published.ToString());
        using var ecs = new EcsClient(_aws);
        var container = (await ecs.DescribeTaskDefinitionAsync(Fargate.Family(_name), default))!.Definition["containerDefinitions"]![0]!;
        var image = (string)container["image"]!;
        var entryPoint = container["entryPoint"]!.AsArray().Select(e => (string)e!).ToArray();
        var taskEnvironment = container["environment"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        await LocalStack.PullAsync(image); // as ECS pulls it

        // What the backend's API passes as container overrides (run_task), on top of the task definition's environment.
        ProcessResult RunTask(string steps)
        {
            var arguments = new List<string> { "run", "--rm", "--network", "host", "--entrypoint", entryPoint[0] };
            var variables = new Dictionary<string, string>(taskEnvironment)
            {
                ["steps"] = steps, ["scenario_path"] = "trial/", ["launcher_arg"] = """{"scenario": "trial", "training_folder": "/tmp", "params": {"general": {"demand_factor": 2.0}}}""",
                ["variants"] = """["am"]""", ["metadata"] = """{"user_email": "modeller@example.org"}""",
                ["AWS_ENDPOINT_URL_S3"] = LocalStack.S3, ["AWS_ACCESS_KEY_ID"] = LocalStack.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = LocalStack.SecretKey,
                ["AWS_REGION"] = "ca-central-1",
            };
            foreach (var (name, value) in variables) arguments.AddRange(["-e", $"{name}={value}"]);
            arguments.Add(image);
            arguments.AddRange(entryPoint.Skip(1));
            return Processes.Run("docker", arguments, LocalStack.Environment_(), timeout: TimeSpan.FromMinutes(3));
        }

        var run = RunTask("""[{"name": "network_summary", "path": "steps/network_summary.py"}, {"name": "loaded_links", "path": "steps/loaded_links.py"}]""");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("""{"step": "loaded_links", "error": null}""", await Text("trial/status.json"));
        Assert.Contains("pt: 3 nodes, 2 links", await Text("trial/logs/network_summary.txt"));
        Assert.Contains("demand_factor=2.0", await Text("trial/logs/loaded_links.txt"));
        Assert.NotNull(await Text("trial/outputs/loaded_links.geojson"));
        Assert.NotNull(await Text("trial/outputs/network_summary.json"));
        Assert.Equal(taskEnvironment["MODEL_TAG"], (string?)JsonNode.Parse((await Text("trial/info.json"))!)!["model_tag"]);
        using (var s3 = S3())
        {
            var metadata = await s3.GetObjectMetadataAsync(_name, "trial/outputs/loaded_links.geojson");
            Assert.Equal("modeller@example.org", metadata.Metadata["user_email"]);
        }

        var failed = RunTask("""[{"name": "fails", "path": "steps/fails.py"}, {"name": "loaded_links", "path": "steps/loaded_links.py"}]""");
        Assert.NotEqual(0, failed.ExitCode);
        var status = JsonNode.Parse((await Text("trial/status.json"))!)!;
        Assert.Equal("fails", (string?)status["step"]);
        Assert.Contains("fails.py exited with code 3", (string?)status["error"]);
        Assert.Contains("about to fail", await Text("trial/logs/fails.txt"));
    }

    [StackFact]
    public void Dotnet_run_runs_the_fargate_step_in_container_mode_in_python_and_in_docker()
    {
        ScaffoldMixed(withInfrastructure: false);
        foreach (var mode in new[] { "python", "docker" })
        {
            var result = packages.Run(Model, ["run", "-p:QuetzalPython=/usr/bin/python3", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", mode], LocalStack.Environment_());
            Assert.True(result.Succeeded, result.ToString());
            Assert.Contains("< loaded_links (Task)", result.Output);
            // The container mode's own lines: the step it was given, then the end of the run.
            Assert.Contains("| > loaded_links (steps/loaded_links.py)", result.Output);
            Assert.Contains("| run finished in", result.Output);
            var scenario = Path.Combine(Model, "bin", "quetzal-run", "bucket", "base");
            Assert.Equal("""{"step": "loaded_links", "error": null}""", File.ReadAllText(Path.Combine(scenario, "status.json")));
            Assert.True(File.Exists(Path.Combine(scenario, "outputs", "loaded_links.geojson")), mode);
            Assert.True(File.Exists(Path.Combine(scenario, "logs", "loaded_links.txt")), mode);
            Assert.Equal("local", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(scenario, "info.json")))!["model_tag"]);
        }

        // A failing Fargate step: its traceback once (as it came), then one line that says what failed, no raw ECS JSON.
        File.WriteAllText(Path.Combine(Model, "steps", "loaded_links.py"), "def assign():\n    raise ValueError('demand matrix is empty')\nassign()\n");
        var failed = packages.Run(Model, ["run", "-p:QuetzalPython=/usr/bin/python3", "--", "--mode", "python"], LocalStack.Environment_());
        Assert.False(failed.Succeeded);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failed.Output, "Traceback \\(most recent call last\\)"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failed.Output, "ValueError: demand matrix is empty"));
        Assert.Contains("error QTZ5001: State 'loaded_links' failed: States.TaskFailed: the Fargate task's container exited with code 1 (its output is above)", failed.Output);
        Assert.DoesNotContain("\"Containers\"", failed.Output);
        Assert.Contains("demand matrix is empty", File.ReadAllText(Path.Combine(Model, "bin", "quetzal-run", "bucket", "base", "status.json")));
    }
}
