using System.Text.Json.Nodes;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Infra;

/// <summary>
/// The real Terraform CLI on infra/: init against the machine's filesystem mirror of the AWS provider (nothing is
/// downloaded; a local backend in place of S3), validate, fmt -check, and plan of a new workspace from the tfvars
/// that QuetzalWriteTfvars writes, the provider's STS and Step Functions endpoints (the calls a plan makes) on the
/// stand-in. Needs terraform and the mirror: a test says what is missing and skips, or fails with
/// QUETZAL_REQUIRE_SERVICES=1 (CI).
/// </summary>
[Collection(Evaluation.DotNetBuilds.Name)]
public sealed class TerraformCliTests : IDisposable
{
    private readonly TempDirectory _root = new("terraform");

    public void Dispose() => _root.Dispose();

    /// <summary>infra/ copied, with the two override files a test run needs, initialised against the mirror.</summary>
    private (string Infra, Dictionary<string, string> Environment) Initialised()
    {
        LocalStack.EnsureRunning();
        Terraform.EnsureAvailable();
        var infra = _root.Combine("infra");
        TempDirectory.CopyDirectory(Path.Combine(Repository.Root, "infra"), infra);
        File.WriteAllText(Path.Combine(infra, "backend_override.tf"), "terraform {\n  backend \"local\" {}\n}\n");
        File.WriteAllText(Path.Combine(infra, "provider_override.tf"), $$"""
            provider "aws" {
              skip_metadata_api_check = true
              endpoints {
                sts = "{{LocalStack.ControlPlane}}"
                sfn = "{{LocalStack.ControlPlane}}"
              }
            }
            """);
        var config = _root.Write("cli.tfrc", $$"""
            provider_installation {
              filesystem_mirror {
                path    = "{{Terraform.Mirror}}"
                include = ["registry.terraform.io/*/*"]
              }
              direct {
                exclude = ["registry.terraform.io/*/*"]
              }
            }
            """);
        var environment = new Dictionary<string, string>
        {
            ["TF_CLI_CONFIG_FILE"] = config, ["TF_IN_AUTOMATION"] = "1", ["CHECKPOINT_DISABLE"] = "1",
            ["AWS_ACCESS_KEY_ID"] = LocalStack.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = LocalStack.SecretKey, ["AWS_REGION"] = "ca-central-1",
        };
        var init = Run(infra, environment, "init", "-input=false", "-no-color");
        Assert.True(init.Succeeded, init.ToString());
        return (infra, environment);
    }

    private static ProcessResult Run(string infra, Dictionary<string, string> environment, params string[] arguments)
        => Processes.Run("terraform", [$"-chdir={infra}", .. arguments], environment, timeout: TimeSpan.FromMinutes(3));

    [TerraformFact]
    public void Infra_initialises_from_the_mirror_validates_and_is_formatted()
    {
        var (infra, environment) = Initialised();
        var validate = Run(infra, environment, "validate", "-no-color");
        Assert.True(validate.Succeeded, validate.ToString());
        Assert.Contains("The configuration is valid", validate.Output);
        var format = Processes.Run("terraform", ["fmt", "-check", "-recursive", "-diff", Path.Combine(Repository.Root, "infra")], environment);
        Assert.True(format.Succeeded, $"terraform fmt would change these files:\n{format}");
    }

    /// <summary>The plan of a new workspace from the tfvars a model's project writes: its resource addresses and the plan as JSON.</summary>
    private (ProcessResult Plan, JsonObject Json) PlanFor(string properties, string items = "")
    {
        var (infra, environment) = Initialised();
        var model = Models.FromSource(_root, "quetzal-plan", properties: properties, items: items);
        if (items.Length > 0) File.Delete(Path.Combine(model, "step-functions.json")); // the workflow is the QuetzalStep items
        var written = DotNet.Build(model, "-t:QuetzalWriteTfvars");
        Assert.True(written.Succeeded, written.ToString());
        var tfvars = Path.Combine(model, "infra", "environments", "quetzal-plan.tfvars");
        Assert.True(Run(infra, environment, "workspace", "new", "-no-color", "quetzal-plan").Succeeded);
        var plan = Run(infra, environment, "plan", "-input=false", "-no-color", $"-var-file={tfvars}", "-out=plan.bin");
        Assert.True(plan.Succeeded, plan.ToString());
        var show = Run(infra, environment, "show", "-json", "plan.bin");
        Assert.True(show.Succeeded, show.ToString());
        return (plan, JsonNode.Parse(show.Output)!.AsObject());
    }

    private static JsonObject After(JsonObject plan, string address)
        => plan["resource_changes"]!.AsArray().Single(r => (string?)r!["address"] == address)!["change"]!["after"]!.AsObject();

    [TerraformFact]
    public void A_new_workspace_plans_the_models_sixteen_resources_with_the_names_the_sdk_publishes_to_and_their_policies()
    {
        var (plan, json) = PlanFor("""
            <QuetzalCorsOrigins>https://quenedi.example.org</QuetzalCorsOrigins>
            <QuetzalCognitoIdentityPoolId>ca-central-1:11111111-2222-3333-4444-555555555555</QuetzalCognitoIdentityPoolId>
            """);
        Assert.Contains("Plan: 16 to add, 0 to change, 0 to destroy.", plan.Output);
        var changes = json["resource_changes"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.All(changes, r => Assert.Equal(["create"], r["change"]!["actions"]!.AsArray().Select(a => (string?)a)));
        Assert.Equal(
        [
            "aws_cloudwatch_log_group.lambda", "aws_ecr_lifecycle_policy.model", "aws_ecr_repository.model", "aws_iam_policy.lambda_logging",
            "aws_iam_policy.user_s3", "aws_iam_role.cognito_user", "aws_iam_role.lambda", "aws_iam_role.sfn", "aws_iam_role_policy.lambda_s3",
            "aws_iam_role_policy.sfn_invoke", "aws_iam_role_policy_attachment.lambda_logging", "aws_iam_role_policy_attachment.user_s3",
            "aws_s3_bucket.scenarios", "aws_s3_bucket_cors_configuration.scenarios", "aws_s3_bucket_public_access_block.scenarios", "aws_sfn_state_machine.model",
        ], changes.Select(r => ((string)r["address"]!).Replace("module.model.", "")).Order(StringComparer.Ordinal));

        // The names the SDK publishes to (ResourceNames), and the account the stand-in's STS answered.
        string Module(string address) => "module.model." + address;
        Assert.Equal("quetzal-plan", (string?)After(json, Module("aws_s3_bucket.scenarios"))["bucket"]);
        Assert.Equal("quetzal-plan", (string?)After(json, Module("aws_ecr_repository.model"))["name"]);
        Assert.Equal("quetzal-plan", (string?)After(json, Module("aws_sfn_state_machine.model"))["name"]);
        Assert.Equal(ResourceNames.LambdaRole("quetzal-plan"), (string?)After(json, Module("aws_iam_role.lambda"))["name"]);
        Assert.Equal(ResourceNames.StateMachineRole("quetzal-plan"), (string?)After(json, Module("aws_iam_role.sfn"))["name"]);
        Assert.Equal(ResourceNames.LogGroup("quetzal-plan"), (string?)After(json, Module("aws_cloudwatch_log_group.lambda"))["name"]);

        // The policies: the state machine may invoke the model's function only; the Lambda role reads and writes the bucket.
        var invoke = JsonNode.Parse((string)After(json, Module("aws_iam_role_policy.sfn_invoke"))["policy"]!)!;
        Assert.Contains("lambda:InvokeFunction", invoke.ToJsonString());
        Assert.Contains("arn:aws:lambda:ca-central-1:123456789012:function:quetzal-plan", invoke.ToJsonString());
        // The bucket's ARN is known after apply: the Lambda role's policy is made of it.
        var s3 = json["configuration"]!["root_module"]!["module_calls"]!["model"]!["module"]!["resources"]!.AsArray()
            .Single(r => (string?)r!["address"] == "aws_iam_role_policy.lambda_s3")!["expressions"]!["policy"]!["references"]!.AsArray().Select(r => (string?)r);
        Assert.Contains("aws_s3_bucket.scenarios.arn", s3);

        // The lifecycle policy can never expire an image a kept version runs: its first rule matches every v<N>-tagged
        // image (which no later rule can then expire) and expires only beyond the most versions a state machine can have.
        var rules = JsonNode.Parse((string)After(json, Module("aws_ecr_lifecycle_policy.model"))["policy"]!)!["rules"]!.AsArray().OrderBy(r => (int)r!["rulePriority"]!).ToList();
        var versions = rules[0]!["selection"]!;
        Assert.Equal(("tagged", "v", "imageCountMoreThan"), ((string?)versions["tagStatus"], (string?)versions["tagPrefixList"]![0], (string?)versions["countType"]));
        Assert.True((int)versions["countNumber"]! >= SettingLimit.VersionsToKeep.Max);
        Assert.StartsWith("v", Quetzal.Sdk.Publish.Release.TagOf(1));
        Assert.DoesNotContain(rules.Skip(1), r => ((r!["selection"]!["tagPrefixList"] as JsonArray) ?? []).Any(p => ((string?)p)!.StartsWith('v')));
    }

    [TerraformFact]
    public void A_user_pool_adds_the_models_cognito_group()
    {
        var (plan, json) = PlanFor("""
            <QuetzalCorsOrigins>https://quenedi.example.org</QuetzalCorsOrigins>
            <QuetzalCognitoIdentityPoolId>ca-central-1:11111111-2222-3333-4444-555555555555</QuetzalCognitoIdentityPoolId>
            <QuetzalCognitoUserPoolId>ca-central-1_AbCdEf123</QuetzalCognitoUserPoolId>
            """);
        Assert.Contains("Plan: 17 to add, 0 to change, 0 to destroy.", plan.Output);
        Assert.Equal("ca-central-1_AbCdEf123", (string?)After(json, "module.model.aws_cognito_user_group.model[0]")["user_pool_id"]);
    }

    [TerraformFact]
    public void A_model_with_a_fargate_step_adds_its_cluster_roles_log_group_and_the_state_machines_ecs_permissions()
    {
        var (plan, json) = PlanFor("""
            <QuetzalCorsOrigins>https://quenedi.example.org</QuetzalCorsOrigins>
            <QuetzalCognitoIdentityPoolId>ca-central-1:11111111-2222-3333-4444-555555555555</QuetzalCognitoIdentityPoolId>
            <QuetzalEcsSubnets>subnet-0123456789abcdef0</QuetzalEcsSubnets>
            """, """
            <QuetzalStep Include="steps/network_summary.py" />
            <QuetzalStep Include="steps/loaded_links.py" Compute="ecs" />
            """);
        Assert.Contains($"Plan: {16 + Tfvars.EcsResources} to add, 0 to change, 0 to destroy.", plan.Output);
        string Module(string address) => "module.model." + address;
        Assert.Equal("quetzal-plan", (string?)After(json, Module("aws_ecs_cluster.model[0]"))["name"]);
        Assert.Equal(Fargate.LogGroup("quetzal-plan"), (string?)After(json, Module("aws_cloudwatch_log_group.ecs[0]"))["name"]);
        Assert.Equal(ResourceNames.EcsTaskRole("quetzal-plan"), (string?)After(json, Module("aws_iam_role.ecs_task[0]"))["name"]);
        Assert.Equal(ResourceNames.EcsExecutionRole("quetzal-plan"), (string?)After(json, Module("aws_iam_role.ecs_execution[0]"))["name"]);
        Assert.Contains("ecs-tasks.amazonaws.com", (string?)After(json, Module("aws_iam_role.ecs_task[0]"))["assume_role_policy"]);
        // What runTask.sync needs of the state machine's role: the family's tasks, the two roles, the managed events rule.
        var policy = json["configuration"]!["root_module"]!["module_calls"]!["model"]!["module"]!["resources"]!.AsArray()
            .Single(r => (string?)r!["address"] == "aws_iam_role_policy.sfn_ecs")!["expressions"]!["policy"]!["references"]!.AsArray().Select(r => (string?)r).ToList();
        Assert.Contains("local.task_definition", policy);
        Assert.Contains("aws_iam_role.ecs_execution[0].arn", policy);
        Assert.Contains("aws_iam_role.ecs_task[0].arn", policy);
        Assert.Contains("local.ecs_events_rule", policy);
        var infra = File.ReadAllText(Path.Combine(Repository.Root, "infra", "modules", "quetzal-model", "ecs.tf"));
        Assert.Contains("task-definition/${var.model_name}-task", infra);
        Assert.Contains("rule/StepFunctionsGetEventsForECSTaskRule", infra);
    }

    [TerraformFact]
    public void A_model_without_a_fargate_step_plans_no_ecs_resource()
    {
        var (plan, json) = PlanFor("""
            <QuetzalCorsOrigins>https://quenedi.example.org</QuetzalCorsOrigins>
            <QuetzalCognitoIdentityPoolId>ca-central-1:11111111-2222-3333-4444-555555555555</QuetzalCognitoIdentityPoolId>
            """, """
            <QuetzalStep Include="steps/network_summary.py" />
            <QuetzalStep Include="steps/loaded_links.py" />
            """);
        Assert.Contains("Plan: 16 to add, 0 to change, 0 to destroy.", plan.Output);
        Assert.DoesNotContain(json["resource_changes"]!.AsArray(), r => ((string)r!["address"]!).Contains("ecs", StringComparison.Ordinal));
    }
}

/// <summary>The Terraform CLI and the filesystem mirror of its AWS provider, as this kind of machine has them.</summary>
public static class Terraform
{
    private static readonly Lazy<string?> MirrorLazy = new(() =>
    {
        if (Environment.GetEnvironmentVariable("QUETZAL_TERRAFORM_MIRROR") is { Length: > 0 } given) return given;
        // The folder that holds registry.terraform.io/hashicorp/aws, where machines of this kind keep it.
        foreach (var root in new[] { "/opt", "/usr/local/share", "/usr/share", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".terraform.d") })
        {
            if (!Directory.Exists(root)) continue;
            var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true };
            foreach (var folder in Directory.EnumerateDirectories(root, "registry.terraform.io", options))
                if (Directory.Exists(Path.Combine(folder, "hashicorp", "aws"))) return Path.GetDirectoryName(folder);
        }
        return null;
    });

    public static string? Mirror => MirrorLazy.Value;

    private static readonly Lazy<bool> CliLazy = new(() =>
    {
        try { return Processes.Run("terraform", ["version"]).Succeeded; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    public static string? Missing => !CliLazy.Value ? "the terraform CLI (terraform version)" : Mirror is null ? "a filesystem mirror holding registry.terraform.io/hashicorp/aws" : null;

    public static void EnsureAvailable()
    {
        if (Missing is not null) Assert.Fail($"Terraform is missing here: {Missing}.");
    }
}

/// <summary>A test that needs the Terraform CLI and the local stack: skipped when either is missing, unless QUETZAL_REQUIRE_SERVICES=1 (then it fails).</summary>
public sealed class TerraformFactAttribute : FactAttribute
{
    public TerraformFactAttribute()
    {
        if (LocalStack.Required) return;
        if (Terraform.Missing is { } terraform) Skip = $"{terraform} is missing; the hcl2json checks of infra/ still run";
        else if (LocalStack.Missing is { } stack) Skip = $"local stack not running ({stack}); run eng/stack.sh up";
    }
}
