using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Publish;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Fargate steps: the settings' rules, the completion of Fargate states, steps.json, and the publish of the task definition.</summary>
public sealed class FargateTests : IDisposable
{
    private const string Name = "quetzal-test";
    private const string Subnet = "subnet-0123456789abcdef0";
    private readonly TempDirectory _dir = new("fargate");
    private readonly string _model;

    public FargateTests()
    {
        _model = _dir.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, _model);
        Directory.Delete(Path.Combine(_model, ".template.config"), recursive: true);
        MakeMixed(Path.Combine(_model, "step-functions.json"));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The template's workflow with its second step moved to Fargate: what a modeller writes.</summary>
    private static void MakeMixed(string path)
    {
        var machine = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        machine["States"]!["loaded_links"] = new JsonObject
        {
            ["Type"] = "Task", ["Resource"] = Fargate.RunTaskSync, ["Parameters"] = new JsonObject { ["notebook_path"] = "steps/loaded_links.py" }, ["End"] = true,
        };
        File.WriteAllText(path, machine.ToJsonString());
    }

    private static IReadOnlyList<Diagnostic> Check(FargateSettings settings, string? fargateState = "loaded_links")
    {
        var bag = new DiagnosticBag();
        Fargate.Validate(settings, "m.quetzalproj", fargateState, bag);
        return bag.Items;
    }

    [Theory]
    [InlineData("256", "512")]
    [InlineData("256", "2048")]
    [InlineData("1024", "8192")]
    [InlineData("4096", "30720")]
    [InlineData("16384", "122880")]
    public void Fargates_cpu_and_memory_pairs_are_accepted(string cpu, string memory)
        => Assert.Empty(Check(new FargateSettings { Cpu = cpu, Memory = memory, Subnets = Subnet }));

    [Theory]
    [InlineData("256", "4096", "QuetzalEcsMemory", "512, 1024 or 2048")]
    [InlineData("1024", "1024", "QuetzalEcsMemory", "2048 to 8192 in steps of 1024")]
    [InlineData("8192", "20000", "QuetzalEcsMemory", "16384 to 61440 in steps of 4096")]
    [InlineData("3000", "8192", "QuetzalEcsCpu", "256, 512, 1024, 2048, 4096, 8192, 16384")]
    [InlineData("one", "8192", "QuetzalEcsCpu", "1024 = 1 vCPU")]
    public void Other_pairs_are_QTZ1009_naming_the_property_and_what_fargate_takes(string cpu, string memory, string property, string allowed)
    {
        var error = Assert.Single(Check(new FargateSettings { Cpu = cpu, Memory = memory, Subnets = Subnet }));
        Assert.Equal("QTZ1009", error.Code);
        Assert.StartsWith(property + " is", error.Message);
        Assert.Contains(allowed, error.Message);
        Assert.Equal("m.quetzalproj", error.File);
    }

    [Theory]
    [InlineData("20")]
    [InlineData("201")]
    [InlineData("21.5")]
    public void Storage_outside_21_to_200_GiB_is_QTZ1009(string storage)
        => Assert.Contains(Check(new FargateSettings { Storage = storage, Subnets = Subnet }), d => d.Code == "QTZ1009" && d.Message.StartsWith("QuetzalEcsStorage", StringComparison.Ordinal));

    [Fact]
    public void Network_ids_time_limit_and_public_ip_are_checked()
    {
        var errors = Check(new FargateSettings { Subnets = "subnet-123,subnet-0123abcd", SecurityGroups = "sg-zz", TimeLimit = "0", AssignPublicIp = "yes" });
        Assert.Equal(["QuetzalEcsTimeLimit", "QuetzalEcsSubnets", "QuetzalEcsSecurityGroups", "QuetzalEcsAssignPublicIp"], errors.Select(e => e.Message.Split(' ')[0]));
        Assert.Contains("'subnet-123'", errors[1].Message);
    }

    [Fact]
    public void A_fargate_step_without_subnets_warns_and_a_model_without_one_needs_none()
    {
        var warning = Assert.Single(Check(new FargateSettings()));
        Assert.Equal(("QTZ1010", Severity.Warning), (warning.Code, warning.Severity));
        Assert.Contains("'loaded_links'", warning.Message);
        Assert.Empty(Check(new FargateSettings(), fargateState: null));
    }

    private static FargateDeployment Deployment(string revision = "7") => new(
        "arn:aws:ecs:ca-central-1:123456789012:cluster/m", $"arn:aws:ecs:ca-central-1:123456789012:task-definition/m-task:{revision}", "m",
        new FargateTask(2048, 8192, 50, 90, [Subnet], ["sg-0123abcd"], AssignPublicIp: true));

    [Fact]
    public void A_fargate_state_becomes_the_runtask_request_of_that_revision_and_lambda_states_stay_as_written()
    {
        var written = File.ReadAllText(Path.Combine(_model, "step-functions.json"));
        var machine = JsonNode.Parse(Fargate.Complete(written, Deployment()))!.AsObject();
        var state = machine["States"]!["loaded_links"]!.AsObject();
        var parameters = state["Parameters"]!.AsObject();
        Assert.False(parameters.ContainsKey("notebook_path"));
        Assert.Equal("arn:aws:ecs:ca-central-1:123456789012:cluster/m", (string?)parameters["Cluster"]);
        Assert.Equal("arn:aws:ecs:ca-central-1:123456789012:task-definition/m-task:7", (string?)parameters["TaskDefinition"]);
        Assert.Equal("FARGATE", (string?)parameters["LaunchType"]);
        var network = parameters["NetworkConfiguration"]!["AwsvpcConfiguration"]!;
        Assert.Equal([Subnet], network["Subnets"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(["sg-0123abcd"], network["SecurityGroups"]!.AsArray().Select(s => (string?)s));
        Assert.Equal("ENABLED", (string?)network["AssignPublicIp"]);
        var container = parameters["Overrides"]!["ContainerOverrides"]![0]!;
        Assert.Equal("m", (string?)container["Name"]);
        var environment = container["Environment"]!.AsArray().ToDictionary(e => (string)e!["Name"]!, e => e!.AsObject().First(p => p.Key != "Name"));
        Assert.Equal("""[{"name":"loaded_links","path":"steps/loaded_links.py"}]""", (string?)environment["steps"].Value);
        Assert.Equal(("Value.$", "$.scenario_path_S3"), (environment["scenario_path"].Key, (string?)environment["scenario_path"].Value));
        Assert.Equal("States.JsonToString($.launcher_arg)", (string?)environment["launcher_arg"].Value);
        Assert.Equal("States.JsonToString($.metadata)", (string?)environment["metadata"].Value);
        // The state passes its input on (a Lambda step returns its event) and has a deadline past the container's own.
        Assert.True(state.ContainsKey("ResultPath") && state["ResultPath"] is null);
        Assert.Equal(90 * 60 + Fargate.StateTimeoutMargin, (int?)state["TimeoutSeconds"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(written)!["States"]!["network_summary"], machine["States"]!["network_summary"]));
    }

    [Fact]
    public void What_a_fargate_state_sets_itself_is_kept()
    {
        var machine = new JsonObject
        {
            ["StartAt"] = "a",
            ["States"] = new JsonObject
            {
                ["a"] = new JsonObject
                {
                    ["Type"] = "Task", ["Resource"] = Fargate.RunTaskSync, ["End"] = true, ["ResultPath"] = "$.task", ["TimeoutSeconds"] = 60,
                    ["Parameters"] = new JsonObject
                    {
                        ["notebook_path"] = "steps/a.py", ["TaskDefinition"] = "mine:3",
                        ["Overrides"] = new JsonObject { ["ContainerOverrides"] = new JsonArray(new JsonObject { ["Name"] = "m", ["Memory"] = 16384 }) },
                    },
                },
            },
        };
        var state = JsonNode.Parse(Fargate.Complete(machine.ToJsonString(), Deployment()))!["States"]!["a"]!;
        Assert.Equal("mine:3", (string?)state["Parameters"]!["TaskDefinition"]);
        Assert.Equal("$.task", (string?)state["ResultPath"]);
        Assert.Equal(60, (int?)state["TimeoutSeconds"]);
        var container = Assert.Single(state["Parameters"]!["Overrides"]!["ContainerOverrides"]!.AsArray())!;
        Assert.Equal(16384, (int?)container["Memory"]);
        Assert.Equal(4, container["Environment"]!.AsArray().Count);
    }

    [Fact]
    public void A_quetzal_step_with_compute_ecs_is_a_fargate_state_of_the_generated_workflow()
    {
        var generated = LinearWorkflow.Generate([new Step("steps/a.py", "a"), new Step("steps/b.py", "b", Step.Ecs)]);
        var machine = JsonNode.Parse(generated)!.AsObject();
        Assert.Equal("arn:aws:states:::lambda:invoke", (string?)machine["States"]!["a"]!["Resource"]);
        Assert.Equal(Fargate.RunTaskSync, (string?)machine["States"]!["b"]!["Resource"]);
        Assert.Equal("steps/b.py", (string?)machine["States"]!["b"]!["Parameters"]!["notebook_path"]);
        Assert.Equal([("b", "steps/b.py")], Fargate.States(machine).Select(s => (s.State, s.NotebookPath!)));
    }

    [Fact]
    public void A_fargate_state_that_names_no_step_is_QTZ2013_at_its_line()
    {
        var file = _dir.Combine("sm.json");
        File.WriteAllText(file, """
            {"StartAt": "a", "States": {
              "a": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                    "Parameters": {"Cluster": "c"}, "End": true}}}
            """);
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(file, _model, bag);
        var error = Assert.Single(bag.Items, d => d.Severity == Severity.Error);
        Assert.Equal(("QTZ2013", 3), (error.Code, error.Line));
        Assert.Contains("'a' names no step", error.Message);
    }

    [Fact]
    public void A_users_fargate_and_lambda_tasks_without_the_everyday_fault_retries_get_QTZ2014_with_the_retry_to_add()
    {
        var file = _dir.Combine("sm.json");
        File.WriteAllText(file, """
            {"StartAt": "a", "States": {
              "a": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                    "Parameters": {"notebook_path": "steps/loaded_links.py"}, "Retry": [{"ErrorEquals": ["States.TaskFailed"]}], "Next": "b"},
              "b": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "${LambdaFunctionArn}", "Payload": {"notebook_path": "steps/loaded_links.py"}}, "Next": "c"},
              "c": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "${LambdaFunctionArn}", "Payload": {"notebook_path": "steps/loaded_links.py"}},
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "End": true}}}
            """);
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(file, _model, bag);
        var warnings = bag.Items.Where(d => d.Code == "QTZ2014").ToList();
        Assert.Equal([("a", 2), ("b", 4)], warnings.Select(w => (w.Message.Split('\'')[1], w.Line)));
        Assert.All(warnings, w => Assert.Equal(Severity.Warning, w.Severity));
        Assert.EndsWith("""Add to the state's "Retry": {"ErrorEquals":["ECS.AmazonECSException"],"IntervalSeconds":30,"MaxAttempts":5,"BackoffRate":2}""", warnings[0].Message);
        Assert.EndsWith("""{"ErrorEquals":["Lambda.CodeArtifactUserPendingException"],"IntervalSeconds":30,"MaxAttempts":5,"BackoffRate":2}""", warnings[1].Message);
        // The generated workflow has them: no warning for a model declared with QuetzalStep items.
        var generated = _dir.Combine("generated.json");
        File.WriteAllText(generated, LinearWorkflow.Generate([new Step("steps/loaded_links.py", "a", Step.Ecs), new Step("steps/loaded_links.py", "b")]));
        var clean = new DiagnosticBag();
        StateMachineValidator.Validate(generated, _model, clean);
        Assert.DoesNotContain(clean.Items, d => d.Code == "QTZ2014");
    }

    [Fact]
    public void Steps_json_lists_each_workflow_with_the_steps_its_choice_takes()
    {
        var machine = """
            {"StartAt": "auth", "States": {
              "auth": {"Type": "Pass", "Next": "which"},
              "which": {"Type": "Choice", "Choices": [{"Variable": "$.choice", "StringEquals": "quick", "Next": "summary"}], "Default": "prepare"},
              "prepare": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload": {"notebook_path": "steps/prepare.py"}}, "Next": "assign"},
              "assign": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Parameters": {"notebook_path": "steps/assign.py"}, "Next": "summary"},
              "summary": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload": {"notebook_path": "notebooks/summary.ipynb"}}, "End": true}}}
            """;
        var steps = JsonNode.Parse(WorkflowSteps.Generate(machine, ["default", "quick"]))!.AsArray();
        Assert.Equal("""[{"name":"default","steps":[{"name":"prepare","path":"steps/prepare.py"},{"name":"assign","path":"steps/assign.py"},{"name":"summary","path":"notebooks/summary.ipynb"}]},{"name":"quick","steps":[{"name":"summary","path":"notebooks/summary.ipynb"}]}]""",
            steps.ToJsonString());
    }

    [Fact]
    public void The_workflows_are_the_ones_params_json_names()
    {
        var file = _dir.Combine("params.json");
        File.WriteAllText(file, """[{"category": "a", "params": []}, {"category": "b", "model": ["quick", "full"], "params": []}, {"info": "x", "model": "quick"}]""");
        Assert.Equal(["default", "quick", "full"], WorkflowSteps.Workflows(file));
        Assert.Equal(["default"], WorkflowSteps.Workflows(_dir.Combine("missing.json")));
    }

    // ---- publish ----

    private PublishRequest Request(Func<PublishRequest, PublishRequest>? change = null)
    {
        var request = TemplateRequest.For(_model, Name) with { Fargate = new FargateTask(1024, 4096, 21, 60, [Subnet], [], AssignPublicIp: false) };
        return change is null ? request : change(request);
    }

    private static Task<PublishPipeline> Publish(FakeAws aws, PublishRequest request) => TemplateRequest.PublishAsync(aws, request, new ListLog());

    [Fact]
    public async Task A_dry_run_shows_the_revision_it_would_register_and_the_state_machine_on_it()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var pipeline = await Publish(aws, Request(r => r with { DryRun = true }));
        Assert.Empty(aws.Writes);
        Assert.Contains($"Task definition: would register {Name}-task:1 (cpu 1024, memory 4096 MiB, storage 21 GiB, time limit 60 min; image tag v1)", pipeline.Summary);
        Assert.Contains($"State machine: would create {Name} and publish it as v1", pipeline.Summary);
    }

    [Fact]
    public async Task A_publish_registers_the_task_before_the_state_machine_names_it_and_a_second_registers_nothing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        var order = aws.Writes.Select(w => w.Split(' ')[0]).Where(w => !w.StartsWith("s3:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["docker:build", "docker:push", "registry:tag", "lambda:CreateFunction", "lambda:PublishVersion", "ecs:RegisterTaskDefinition", "states:CreateStateMachine"], order);

        var (revision, _) = Assert.Single(aws.TaskDefinitions);
        var container = revision.Definition["containerDefinitions"]![0]!;
        // The version's tag, as the function's: what Quenedi shows for the newest revision of a Fargate model.
        var image = aws.Functions[Name].ImageUri!;
        Assert.Equal(image, (string?)container["image"]);
        Assert.Equal($"registry.local/{Name}:v1", image);
        Assert.Equal(["python3", "-m", "quetzal_handler"], container["entryPoint"]!.AsArray().Select(e => (string?)e));
        Assert.Equal(("1024", "4096", 21), ((string?)revision.Definition["cpu"], (string?)revision.Definition["memory"], (int?)revision.Definition["ephemeralStorage"]!["sizeInGiB"]));
        Assert.Equal($"arn:aws:iam::123456789012:role/ecs-{Name}-task-role", (string?)revision.Definition["taskRoleArn"]);
        Assert.Equal($"/aws/ecs/{Name}", (string?)container["logConfiguration"]!["options"]!["awslogs-group"]);
        var environment = container["environment"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        Assert.Equal(Name, environment["BUCKET_NAME"]);
        Assert.Equal("60", environment["TIME_LIMIT"]);
        Assert.Equal("v1", environment["MODEL_TAG"]);

        var machine = JsonNode.Parse(aws.StateMachines[Name].Definition)!;
        Assert.Equal(revision.Arn, (string?)machine["States"]!["loaded_links"]!["Parameters"]!["TaskDefinition"]);
        Assert.Equal($"arn:aws:lambda:ca-central-1:123456789012:function:{Name}:1", (string?)machine["States"]!["network_summary"]!["Parameters"]!["FunctionName"]);
        // steps.json is the backend's: published with the model's _common/ files (the task collects it; see EndToEnd).

        aws.Writes.Clear();
        var again = await Publish(aws, Request());
        Assert.Empty(aws.Writes);
        Assert.Contains($"Task definition: unchanged ({Name}-task:1)", again.Summary);
    }

    [Fact]
    public async Task A_changed_setting_registers_a_new_revision_and_moves_the_state_machine_to_it()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        aws.Writes.Clear();
        var pipeline = await Publish(aws, Request(r => r with { Fargate = r.Fargate! with { Memory = 8192 } }));
        Assert.Contains($"Task definition: registered {Name}-task:2 on {aws.Functions[Name].ImageUri}", pipeline.Summary);
        // A new version (v2) of the same image: tagged, the function shows it (no new Lambda version: its code and
        // settings did not change), the new revision runs it, the state machine's new version names that revision.
        Assert.Equal(["registry:tag", "lambda:UpdateFunctionCode", "ecs:RegisterTaskDefinition", "states:UpdateStateMachine"], aws.Writes.Where(w => !w.StartsWith("s3:", StringComparison.Ordinal)).Select(w => w.Split(' ')[0]));
        Assert.Equal($"registry.local/{Name}:v2", aws.Functions[Name].ImageUri);
        Assert.Equal(2, aws.StateMachineVersions[Name].Count);
        var machine = JsonNode.Parse(aws.StateMachines[Name].Definition)!;
        Assert.EndsWith($"task-definition/{Name}-task:2", (string?)machine["States"]!["loaded_links"]!["Parameters"]!["TaskDefinition"]);
    }

    [Fact]
    public async Task A_model_without_fargate_steps_registers_nothing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var pipeline = await Publish(aws, Request(r => r with { Fargate = null }));
        Assert.Empty(aws.TaskDefinitions);
        Assert.DoesNotContain(pipeline.Summary, l => l.StartsWith("Task definition", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Teardown_deregisters_the_models_revisions()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        await Publish(aws, Request(r => r with { Fargate = r.Fargate! with { Cpu = 2048, Memory = 8192 } }));
        var done = await new ModelTeardown(aws, new ListLog()).RunAsync(new TeardownRequest(Name, Name, Name, Name, DryRun: false, TimeSpan.FromSeconds(5), Fargate: true), default);
        Assert.Contains($"ECS: deregistered 2 revisions of {Name}-task", done);
        Assert.All(aws.TaskDefinitions, t => Assert.Equal("INACTIVE", t.Status));
    }
}
