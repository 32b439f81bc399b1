using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Infra;

/// <summary>
/// infra/ as text: every .tf file is parsed with @cdktf/hcl2json and checked for its inventory, its variables,
/// hard-coded ids, tags, and names that must equal what the SDK publishes to. The real Terraform CLI (init,
/// validate, fmt, plan) runs in <see cref="TerraformCliTests"/>.
/// </summary>
public sealed class TerraformTests
{
    private static readonly string InfraDirectory = Path.Combine(Repository.Root, "infra");
    private static readonly Lazy<JsonObject> Parsed = new(() =>
    {
        var result = Processes.Run("node", [Path.Combine(Repository.Root, "tests", "Quetzal.Sdk.Tests", "Infra", "hcl2json.js"),
            Path.Combine(Repository.Root, "eng", "stack", "node_modules"), InfraDirectory]);
        Assert.True(result.Succeeded, result.ToString());
        return JsonNode.Parse(result.Output)!.AsObject();
    });

    private static IEnumerable<(string File, JsonObject Body)> Files(string folder)
        => Parsed.Value.Where(f => Path.GetDirectoryName(f.Key)!.Replace('\\', '/') == folder).Select(f => (f.Key, f.Value!.AsObject()));

    private static IEnumerable<(string Type, string Name, JsonObject Body)> Resources(string folder)
        => Files(folder).SelectMany(f => (f.Body["resource"] as JsonObject ?? []).SelectMany(type =>
            type.Value!.AsObject().Select(named => (type.Key, named.Key, named.Value!.AsArray()[0]!.AsObject()))));

    private static IEnumerable<string> Declared(string folder)
        => Files(folder).SelectMany(f => (f.Body["variable"] as JsonObject ?? []).Select(v => v.Key));

    private static string Text(string folder)
        => string.Concat(Directory.GetFiles(Path.Combine(InfraDirectory, folder), "*.tf").Order().Select(File.ReadAllText));

    private const string Module = "modules/quetzal-model";

    [StackFact]
    public void The_module_creates_exactly_the_models_resources_and_no_lambda_function()
    {
        LocalStack.EnsureRunning();
        Assert.Equal(
        [
            "aws_cloudwatch_log_group.ecs", "aws_cloudwatch_log_group.lambda", "aws_cognito_user_group.model", "aws_ecr_lifecycle_policy.model", "aws_ecr_repository.model",
            "aws_ecs_cluster.model", "aws_iam_policy.lambda_logging", "aws_iam_policy.user_s3", "aws_iam_role.cognito_user", "aws_iam_role.ecs_execution", "aws_iam_role.ecs_task",
            "aws_iam_role.lambda", "aws_iam_role.sfn", "aws_iam_role_policy.ecs_execution", "aws_iam_role_policy.ecs_task_s3",
            "aws_iam_role_policy.lambda_s3", "aws_iam_role_policy.sfn_ecs", "aws_iam_role_policy.sfn_invoke", "aws_iam_role_policy_attachment.lambda_logging",
            "aws_iam_role_policy_attachment.user_s3", "aws_s3_bucket.scenarios", "aws_s3_bucket_cors_configuration.scenarios",
            "aws_s3_bucket_public_access_block.scenarios", "aws_sfn_state_machine.model",
        ], Resources(Module).Select(r => $"{r.Type}.{r.Name}").Order(StringComparer.Ordinal));
        // The Fargate resources exist only for a model with a Fargate step (ecs_enabled, from the workflow).
        var ecs = Resources(Module).Where(r => r.Name.StartsWith("ecs", StringComparison.Ordinal) || r.Name == "sfn_ecs" || r.Type == "aws_ecs_cluster").ToList();
        Assert.Equal(Tfvars.EcsResources, ecs.Count);
        Assert.All(ecs, r => Assert.Equal("${local.ecs_count}", (string?)r.Body["count"]));
        Assert.DoesNotContain(Resources("").Concat(Resources(Module)), r => r.Type == "aws_lambda_function");
        Assert.Equal("${var.cognito_user_pool_id == \"\" ? 0 : 1}", (string?)Resources(Module).Single(r => r.Type == "aws_cognito_user_group").Body["count"]);
    }

    [StackFact]
    public void Every_variable_used_is_declared_and_every_declared_one_is_used()
    {
        LocalStack.EnsureRunning();
        foreach (var folder in new[] { "", Module })
        {
            var declared = Declared(folder).ToHashSet();
            var used = Regex.Matches(Text(folder), @"\bvar\.([a-z_][a-z0-9_]*)").Select(m => m.Groups[1].Value).ToHashSet();
            Assert.Empty(used.Except(declared));
            Assert.Empty(declared.Except(used));
        }
        // The root hands the module every variable it declares.
        var call = Files("").SelectMany(f => (f.Body["module"] as JsonObject ?? [])).Single().Value!.AsArray()[0]!.AsObject();
        Assert.Equal(Declared(Module).Order(), call.Select(a => a.Key).Where(k => k != "source").Order());
    }

    [StackFact]
    public void No_account_or_identity_pool_id_is_written_in_the_files()
    {
        LocalStack.EnsureRunning();
        var text = Text("") + Text(Module);
        Assert.DoesNotMatch(@"(?<![\w.-])\d{12}(?![\w.-])", text);
        Assert.DoesNotMatch(@"[a-z]{2}(-gov)?-[a-z]+-\d:[0-9a-f]{8}-", text);
        Assert.DoesNotMatch(@"arn:aws:iam::\d", text);
    }

    [StackFact]
    public void The_names_terraform_gives_are_the_ones_the_sdk_publishes_to()
    {
        LocalStack.EnsureRunning();
        const string model = "quetzal-paris";
        string Name(string type, string name, string attribute = "name")
            => ((string)Resources(Module).Single(r => r.Type == type && r.Name == name).Body[attribute]!)
                .Replace("${var.model_name}", model).Replace("${local.function_name}", model);

        // The SDK's defaults: every resource name is the model name (Sdk.targets), the roles follow ResourceNames.
        Assert.Equal(model, Name("aws_s3_bucket", "scenarios", "bucket"));
        Assert.Equal(model, Name("aws_ecr_repository", "model"));
        Assert.Equal(model, Name("aws_sfn_state_machine", "model"));
        Assert.Equal(ResourceNames.LambdaRole(model), Name("aws_iam_role", "lambda"));
        Assert.Equal(ResourceNames.StateMachineRole(model), Name("aws_iam_role", "sfn"));
        Assert.Equal(ResourceNames.CognitoUserRole(model), Name("aws_iam_role", "cognito_user"));
        Assert.Equal(ResourceNames.UserPolicy(model), Name("aws_iam_policy", "user_s3"));
        Assert.Equal(ResourceNames.LogGroup(model), Name("aws_cloudwatch_log_group", "lambda"));
        Assert.Equal(Fargate.ClusterName(model), Name("aws_ecs_cluster", "model"));
        Assert.Equal(Fargate.LogGroup(model), Name("aws_cloudwatch_log_group", "ecs"));
        Assert.Equal(ResourceNames.EcsTaskRole(model), Name("aws_iam_role", "ecs_task"));
        Assert.Equal(ResourceNames.EcsExecutionRole(model), Name("aws_iam_role", "ecs_execution"));
        var locals = Files(Module).Single(f => f.File.EndsWith("main.tf", StringComparison.Ordinal)).Body["locals"]!.AsArray()[0]!.AsObject();
        Assert.Equal("${var.model_name}", (string?)locals["function_name"]);
        Assert.EndsWith(":function:${var.model_name}", (string?)locals["function_arn"]);
        var targets = File.ReadAllText(Path.Combine(Repository.SdkDirectory, "Sdk.targets"));
        foreach (var property in new[] { "QuetzalBucketName", "QuetzalEcrRepositoryName", "QuetzalLambdaFunctionName", "QuetzalStateMachineName" })
            Assert.Contains($"<{property} Condition=\"'$({property})' == ''\">$(QuetzalModelName)</{property}>", targets);
    }

    [StackFact]
    public void Every_taggable_resource_carries_the_cost_tags()
    {
        LocalStack.EnsureRunning();
        var taggable = new[] { "aws_s3_bucket", "aws_ecr_repository", "aws_iam_role", "aws_iam_policy", "aws_cloudwatch_log_group", "aws_sfn_state_machine", "aws_ecs_cluster" };
        var resources = Resources(Module).Where(r => taggable.Contains(r.Type)).ToList();
        Assert.Equal(13, resources.Count);
        Assert.All(resources, r => Assert.Equal("${var.tags}", (string?)r.Body["tags"]));
        Assert.Contains("default_tags", Text(""));
    }

    [StackFact]
    public void Users_may_not_write_under_base_and_the_state_machine_definition_is_left_to_the_sdk()
    {
        LocalStack.EnsureRunning();
        var policy = (string)Resources(Module).Single(r => r.Name == "user_s3" && r.Type == "aws_iam_policy").Body["policy"]!;
        Assert.Matches(@"Effect\s*=\s*""Deny""\s*\n\s*Action\s*=\s*\[""s3:PutObject"", ""s3:DeleteObject""\]\s*\n\s*Resource\s*=\s*""\$\{aws_s3_bucket\.scenarios\.arn\}/base/\*""", policy);
        // A Fargate step's role neither: base stays as the app and the publish wrote it.
        var task = (string)Resources(Module).Single(r => r.Name == "ecs_task_s3").Body["policy"]!;
        Assert.Matches(@"Effect\s*=\s*""Deny""\s*\n\s*Action\s*=\s*\[""s3:PutObject"", ""s3:DeleteObject""\]\s*\n\s*Resource\s*=\s*""\$\{aws_s3_bucket\.scenarios\.arn\}/base/\*""", task);
        var machine = Resources(Module).Single(r => r.Type == "aws_sfn_state_machine").Body;
        Assert.Equal(["${definition}"], machine["lifecycle"]!.AsArray()[0]!["ignore_changes"]!.AsArray().Select(n => (string?)n));
    }

    [StackFact]
    public void WriteTfvars_writes_the_projects_settings_for_exactly_the_declared_variables_and_prints_the_commands()
    {
        LocalStack.EnsureRunning();
        using var root = new TempDirectory("tfvars");
        var model = Models.FromSource(root, "quetzal-paris", properties: """
            <QuetzalAwsRegion>eu-west-3</QuetzalAwsRegion>
            <QuetzalCorsOrigins>https://quenedi.example.org;http://localhost:8080</QuetzalCorsOrigins>
            <QuetzalCognitoIdentityPoolId>eu-west-3:11111111-2222-3333-4444-555555555555</QuetzalCognitoIdentityPoolId>
            <QuetzalCostTags>CostCenter=transport;Client="Paris"</QuetzalCostTags>
            <QuetzalTerraformStateBucket>org-terraform-state</QuetzalTerraformStateBucket>
            """);
        var result = DotNet.Build(model, "-t:QuetzalWriteTfvars", $"-p:QuetzalInfraDirectory={InfraDirectory}/");
        Assert.True(result.Succeeded, result.ToString());
        var tfvars = Path.Combine(model, "infra", "environments", "quetzal-paris.tfvars");
        Assert.Contains($"terraform -chdir=\"{InfraDirectory}\" init -backend-config=\"bucket=org-terraform-state\"", result.Output);
        Assert.Contains("workspace select -or-create quetzal-paris", result.Output);
        Assert.Contains($"plan -var-file=\"{tfvars}\"     (a new workspace plans 16 to add, 0 to change, 0 to destroy)", result.Output);

        var parsed = Processes.Run("node", ["-e", $"require('{Path.Combine(Repository.Root, "eng", "stack", "node_modules", "@cdktf", "hcl2json").Replace("\\", "/")}').parse('x.tfvars', require('fs').readFileSync(process.argv[1], 'utf8')).then(j => process.stdout.write(JSON.stringify(j)))", tfvars]);
        Assert.True(parsed.Succeeded, parsed.ToString());
        var values = JsonNode.Parse(parsed.Output)!.AsObject();
        Assert.Equal("quetzal-paris", (string?)values["quetzal_model_name"]);
        Assert.Equal("eu-west-3", (string?)values["aws_region"]);
        Assert.Equal(["https://quenedi.example.org", "http://localhost:8080"], values["cors_allowed_origins"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("transport", (string?)values["tags"]!["CostCenter"]);
        Assert.Equal("\"Paris\"", (string?)values["tags"]!["Client"]);
        Assert.False((bool)values["ecs_enabled"]!); // the template's workflow runs on Lambda only

        var declared = Files("").SelectMany(f => (f.Body["variable"] as JsonObject ?? [])).ToDictionary(v => v.Key, v => v.Value!.AsArray()[0]!.AsObject());
        Assert.Empty(values.Select(v => v.Key).Except(declared.Keys));
        Assert.Empty(declared.Where(v => !v.Value.ContainsKey("default")).Select(v => v.Key).Except(values.Select(v => v.Key)));
    }

    [StackFact]
    public void The_root_outputs_every_name_and_arn_the_sdk_needs()
    {
        LocalStack.EnsureRunning();
        var outputs = Files("").SelectMany(f => (f.Body["output"] as JsonObject ?? []).Select(o => o.Key)).ToHashSet();
        foreach (var name in new[] { "bucket_name", "ecr_repository_name", "ecr_repository_url", "lambda_function_name", "lambda_role_arn",
                     "state_machine_name", "state_machine_arn", "state_machine_role_arn", "cognito_user_role_arn" })
            Assert.Contains(name, outputs);
    }
}
