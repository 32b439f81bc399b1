using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// A scaffolded model published from the packed packages to the local stack: a real Docker engine and registry,
/// a real S3 server, and the tests' control plane. Writes are counted at the servers: their storage folders and
/// the control plane's operation counts.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class PublishTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"e2e-{Guid.NewGuid():N}"[..16];
    private readonly AwsSettings _aws = new("ca-central-1", null, n => LocalStack.Environment_().GetValueOrDefault(n), new BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey));

    public void Dispose() => _workspace.Dispose();

    private string Model => _workspace.Combine(_name);

    private ProcessResult Publish(params string[] extra) => PublishWith(LocalStack.Environment_(), extra);

    private ProcessResult PublishWith(IDictionary<string, string> env, params string[] extra)
        => packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", .. extra], env);

    /// <summary>What the servers hold on disk: any write, even of identical bytes, changes a size or a time here.</summary>
    private static Dictionary<string, (long, DateTime)> Storage()
        => new[] { "registry-data", "s3-data" }.Select(d => Path.Combine(LocalStack.StateDirectory, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    private static async Task<Dictionary<string, int>> ControlPlaneWrites()
    {
        using var http = new HttpClient();
        var stats = JsonNode.Parse(await http.GetStringAsync($"{LocalStack.ControlPlane}/_local/stats"))!.AsObject();
        return stats.Where(p => p.Key.StartsWith("Create", StringComparison.Ordinal) || p.Key.StartsWith("Update", StringComparison.Ordinal) || p.Key.StartsWith("Delete", StringComparison.Ordinal) || p.Key.StartsWith("Put", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => (int)p.Value!);
    }

    private static async Task ResetStats()
    {
        using var http = new HttpClient();
        (await http.PostAsync($"{LocalStack.ControlPlane}/_local/reset-stats", null)).EnsureSuccessStatusCode();
    }

    private static string[] Changed(Dictionary<string, (long, DateTime)> before, Dictionary<string, (long, DateTime)> after)
        => after.Where(p => !before.TryGetValue(p.Key, out var old) || old != p.Value).Select(p => p.Key)
            .Concat(before.Keys.Where(k => !after.ContainsKey(k))).Order().ToArray();

    /// <summary>The step targets in the pipeline's order, each with the start of the line its plan prints on a deployment that is up to date.</summary>
    private static readonly (string Target, string Plan)[] StepTargets =
    [
        ("QuetzalPublishImage", "Image: unchanged ("), ("QuetzalPublishLambda", "Lambda: unchanged ("),
        ("QuetzalPublishTaskDefinition", "Task definition: none to publish: the workflow has no Fargate step"),
        ("QuetzalPublishStateMachine", "State machine: unchanged ("), ("QuetzalPublishScenarios", "S3 base: 0 new, 0 changed"),
    ];

    private ProcessResult PublishTargets(string targets, params string[] extra)
        => packages.Run(Model, ["build", $"-t:{targets}", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", .. extra], LocalStack.Environment_());

    [StackFact]
    public void Any_two_step_targets_on_one_command_line_each_publish_and_one_before_a_step_already_run_publishes_that_step_again()
    {
        ScaffoldWithInfrastructure();
        Assert.True(Publish().Succeeded);
        var failures = new List<string>();
        for (var first = 0; first < StepTargets.Length; first++)
            for (var second = first + 1; second < StepTargets.Length; second++)
            {
                // Given against the pipeline's order: the later step first.
                var (later, earlier) = (StepTargets[second], StepTargets[first]);
                var build = PublishTargets($"{later.Target};{earlier.Target}", "-p:QuetzalDryRun=true");
                var lines = build.Output.Split('\n').Select(l => l.Trim()).ToList();
                // Each target's own publish ends with its summary; the earlier step's plans the later step again after it.
                var summaries = lines.Count(l => l == "Quetzal publish summary:");
                var laterPlans = lines.Count(l => l.StartsWith(later.Plan, StringComparison.Ordinal));
                var earlierPlans = lines.Count(l => l.StartsWith(earlier.Plan, StringComparison.Ordinal));
                var again = lines.Any(l => l.Contains($"published again after {earlier.Target["QuetzalPublish".Length..]}", StringComparison.Ordinal));
                if (!build.Succeeded || summaries != 2 || earlierPlans < 1 || laterPlans < 2 || !again)
                    failures.Add($"-t:{later.Target};{earlier.Target}: succeeded {build.Succeeded}, {summaries} summaries, '{earlier.Plan}' {earlierPlans}x, '{later.Plan}' {laterPlans}x, again {again}\n"
                        + string.Join("\n", lines.Where(l => l.StartsWith("Quetzal", StringComparison.Ordinal) || l.Contains("error", StringComparison.Ordinal) || l.Contains(": ", StringComparison.Ordinal)).Take(30)));
            }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [StackFact]
    public void Image_then_lambda_step_targets_publish_a_step_edit_both_and_the_other_order_names_the_way_to_do_it()
    {
        ScaffoldWithInfrastructure();
        Assert.True(Publish().Succeeded);
        File.AppendAllText(Path.Combine(Model, "steps", "network_summary.py"), "\n# edited\n");

        var reversed = PublishTargets("QuetzalPublishLambda;QuetzalPublishImage");
        Assert.False(reversed.Succeeded);
        Assert.Contains("error QTZ3005", reversed.Output);
        Assert.Contains("-t:Publish -p:QuetzalPublishSteps=Image%3B<the other steps>", reversed.Output);

        var inOrder = PublishTargets("QuetzalPublishImage;QuetzalPublishLambda");
        Assert.True(inOrder.Succeeded, inOrder.ToString());
        Assert.Contains("Image: pushed ", inOrder.Output);
        Assert.Contains("Lambda: updated ", inOrder.Output);
        Assert.DoesNotContain("published again", inOrder.Output);
    }

    [StackFact]
    public void QuetzalPublishSteps_selects_steps_for_one_publish_and_an_unknown_step_is_a_coded_error_naming_the_nearest()
    {
        ScaffoldWithInfrastructure();
        var selected = Publish("-p:QuetzalDryRun=true", "-p:QuetzalPublishSteps=Image%3BLambda%3BStateMachine");
        Assert.True(selected.Succeeded, selected.ToString());
        Assert.Contains("Lambda: would create ", selected.Output);
        Assert.Contains("State machine: would create ", selected.Output);
        Assert.DoesNotContain("base: ", selected.Output);

        var wrong = Publish("-p:QuetzalDryRun=true", "-p:QuetzalPublishSteps=Lamda");
        Assert.False(wrong.Succeeded);
        Assert.Contains("error QTZ1011: QuetzalPublishSteps names 'Lamda', which is not a publish step; the steps are Image, Lambda, TaskDefinition, StateMachine, Scenarios (separated by ';'). Did you mean 'Lambda'?", wrong.Output);
    }

    /// <summary>The stack running, a model scaffolded from the packed template, and what infra/ would have created for it.</summary>
    private void ScaffoldWithInfrastructure()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        CreateInfrastructure();
    }

    private void CreateInfrastructure()
    {
        // What infra/ (Terraform) creates: the repository and the bucket. The Lambda and the state machine are the SDK's.
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        var repository = Processes.Run("aws", ["ecr", "create-repository", "--repository-name", _name, "--endpoint-url", LocalStack.ControlPlane], env);
        Assert.True(repository.Succeeded, repository.ToString());
        using var s3 = S3();
        s3.PutBucketAsync(_name).GetAwaiter().GetResult();
    }

    private static AmazonS3Client S3() => new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });

    private static async Task<Dictionary<string, byte[]>> Objects(string bucket)
    {
        using var s3 = S3();
        var result = new Dictionary<string, byte[]>();
        var request = new ListObjectsV2Request { BucketName = bucket };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                using var response = await s3.GetObjectAsync(bucket, item.Key);
                using var memory = new MemoryStream();
                await response.ResponseStream.CopyToAsync(memory);
                result[item.Key] = memory.ToArray();
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return result;
    }

    /// <summary>A scaffolded model with a second scenario ('base 1') and a styles.json in each, and what infra/ creates for it.</summary>
    private void ScaffoldWithTwoScenarios()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name, "--memory", "2048", "--timeout", "600", "--storage", "1024").Succeeded);
        TempDirectory.CopyDirectory(Path.Combine(Model, "scenarios", "base"), Path.Combine(Model, "scenarios", "base 1"));
        File.WriteAllText(Path.Combine(Model, "scenarios", "base", "styles.json"), "[]");
        File.WriteAllText(Path.Combine(Model, "scenarios", "base 1", "styles.json"), "[]");
        CreateInfrastructure();
    }

    private void PublishSucceeds(params string[] extra)
    {
        var result = Publish(extra);
        Assert.True(result.Succeeded, result.ToString());
    }

    [StackFact]
    public async Task A_scaffolded_model_publishes_its_image_lambda_state_machine_and_scenarios()
    {
        ScaffoldWithTwoScenarios();
        var first = Publish();
        Assert.True(first.Succeeded, first.ToString());
        Assert.Contains("Quetzal publish summary:", first.Output);

        // The registry holds one single-platform image manifest under the content tag.
        var login = await new EcrClient(_aws).GetAuthorizationTokenAsync(default);
        using var registry = new RegistryClient(login);
        var context = BuildContext.Create(Model, Path.Combine(packages.Root, "packages", "quetzal.sdk", packages.Version.ToLowerInvariant(), "handler"), null);
        var manifest = await registry.HeadManifestAsync(_name, context.ContentTag, default);
        Assert.NotNull(manifest);
        Assert.False(manifest.IsIndex, manifest.MediaType);
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", manifest.MediaType);

        // The Lambda runs that digest, by the first version's tag (what Quenedi shows), with the project's settings.
        using var lambda = new LambdaClient(_aws);
        var function = await lambda.GetFunctionAsync(_name, default);
        Assert.NotNull(function);
        Assert.Equal($"{LocalStack.Registry}/{_name}:v1", function.ImageUri);
        Assert.Equal($"{LocalStack.Registry}/{_name}@{manifest.Digest}", function.ResolvedImageUri);
        Assert.Equal((2048, 600, 1024), (function.Settings.MemorySize, function.Settings.Timeout, function.Settings.EphemeralStorage));
        Assert.Equal(_name, function.Settings.Environment["BUCKET_NAME"]);
        Assert.Equal($"arn:aws:iam::123456789012:role/lambda-{_name}-role", function.Settings.Role);
        Assert.Equal("Successful", function.LastUpdateStatus);

        // The state machine is the rendered file, with the ARN of the function's first version.
        using var sfn = new StepFunctionsClient(_aws);
        var arn = await StateMachines.FindArnAsync(_aws, _name);
        Assert.NotNull(arn);
        var deployed = JsonNode.Parse((await sfn.DescribeStateMachineAsync(arn, default)).Definition)!;
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(Model, "step-functions.json")).Replace("${LambdaFunctionArn}", function.Arn + ":1"))!;
        Assert.True(JsonNode.DeepEquals(expected, deployed), deployed.ToJsonString());
        Assert.Equal($"arn:aws:lambda:ca-central-1:123456789012:function:{_name}:1", (string)deployed["States"]!["loaded_links"]!["Parameters"]!["FunctionName"]!);

        // Every object equals its local file, in both scenarios.
        var objects = await Objects(_name);
        foreach (var scenario in new[] { "base", "base 1" })
            foreach (var (path, relative) in ScenarioPublisher.LocalFiles(Path.Combine(Model, "scenarios", scenario)))
                Assert.Equal(await File.ReadAllBytesAsync(path), objects[$"{scenario}/{relative}"]);
        // Besides the 12 files: each scenario's info.json and the model's _common/lock.json.
        Assert.Equal(15, objects.Count);

        // Base's files were written before the other scenario's (s3rver's files keep their write times); each info.json
        // follows all the files, since it says what the publish changed.
        var bucketFolder = Path.Combine(LocalStack.StateDirectory, "s3-data", _name);
        var times = Directory.EnumerateFiles(bucketFolder, "*._S3rver_object", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}inputs{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .GroupBy(f => Path.GetRelativePath(bucketFolder, f).Split(Path.DirectorySeparatorChar)[0])
            .ToDictionary(g => g.Key, g => (First: g.Min(File.GetLastWriteTimeUtc), Last: g.Max(File.GetLastWriteTimeUtc)));
        Assert.True(times["base"].Last <= times["base 1"].First, $"base ended {times["base"].Last:O}, base 1 began {times["base 1"].First:O}");
    }

    [StackFact]
    public async Task A_second_publish_writes_nothing_anywhere()
    {
        ScaffoldWithTwoScenarios();
        PublishSucceeds();
        await ResetStats();
        var before = Storage();
        var second = Publish();
        Assert.True(second.Succeeded, second.ToString());
        Assert.Empty(Changed(before, Storage()));
        Assert.Empty(await ControlPlaneWrites());
        Assert.Contains("Image: unchanged", second.Output);
        Assert.Contains("Lambda: unchanged", second.Output);
        Assert.Contains("State machine: unchanged", second.Output);
    }

    /// <summary>Published once, the servers' counts reset and their storage noted, then one input changed (base's params.json).</summary>
    private async Task<(Dictionary<string, (long, DateTime)> Before, string ParamsFile)> PublishedThenParamsChanged()
    {
        ScaffoldWithTwoScenarios();
        PublishSucceeds();
        await ResetStats();
        var before = Storage();
        var paramsFile = Path.Combine(Model, "scenarios", "base", "inputs", "params.json");
        File.WriteAllText(paramsFile, File.ReadAllText(paramsFile).Replace("\"value\": 1.0", "\"value\": 1.25"));
        return (before, paramsFile);
    }

    [StackFact]
    public async Task A_dry_run_of_real_changes_reports_them_and_writes_nothing()
    {
        var (before, _) = await PublishedThenParamsChanged();
        var dry = Publish("-p:QuetzalDryRun=true", "-p:QuetzalLambdaMemorySize=3008");
        Assert.True(dry.Succeeded, dry.ToString());
        Assert.Contains("Lambda: would update", dry.Output);
        Assert.Contains("memory 2048 -> 3008 MB", dry.Output);
        Assert.Contains("S3 (plan) base: 0 new, 1 changed", dry.Output);
        Assert.Empty(Changed(before, Storage()));
        Assert.Empty(await ControlPlaneWrites());
    }

    [StackFact]
    public async Task Changing_one_input_uploads_exactly_that_file()
    {
        var (before, paramsFile) = await PublishedThenParamsChanged();
        PublishSucceeds();
        var written = Changed(before, Storage());
        Assert.NotEmpty(written);
        // That file, and base's info.json, which says who changed the scenario and when.
        Assert.All(written, f => Assert.True(f.Contains(Path.Combine(_name, "base", "inputs", "params.json")) || f.Contains(Path.Combine(_name, "base", "info.json")), f));
        Assert.Equal(await File.ReadAllBytesAsync(paramsFile), (await Objects(_name))["base/inputs/params.json"]);
        Assert.Empty(await ControlPlaneWrites());
    }

    [StackFact]
    public async Task Pruning_deletes_an_input_deleted_locally_under_its_own_scenario_only_and_never_what_runs_and_the_app_wrote()
    {
        ScaffoldWithTwoScenarios();
        var extra = Path.Combine(Model, "scenarios", "base", "inputs", "zones.csv");
        File.WriteAllText(extra, "zone\n1\n");
        PublishSucceeds();
        // What a run on AWS and the app wrote: no local file matches them.
        using (var s3 = S3())
            foreach (var key in new[] { "base/outputs/road_speed.csv", "base/logs/road_speed.txt", "base/info.json", "base/status.json" })
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = _name, Key = key, ContentBody = "{}" });
        File.Delete(extra);
        File.Delete(Path.Combine(Model, "scenarios", "base", "styles.json"));

        var dry = Publish("-p:QuetzalPruneScenarios=true", "-p:QuetzalScenarios=base", "-p:QuetzalDryRun=true");
        Assert.True(dry.Succeeded, dry.ToString());
        Assert.Contains($"would delete s3://{_name}/base/inputs/zones.csv", dry.Output);
        Assert.DoesNotContain("would delete s3://" + _name + "/base/outputs", dry.Output);

        PublishSucceeds("-p:QuetzalPruneScenarios=true", "-p:QuetzalScenarios=base");
        var remaining = await Objects(_name);
        Assert.DoesNotContain("base/inputs/zones.csv", remaining.Keys);
        foreach (var key in new[] { "base/outputs/road_speed.csv", "base/logs/road_speed.txt", "base/info.json", "base/status.json", "base/styles.json", "base 1/styles.json" })
            Assert.Contains(key, remaining.Keys);
        Assert.Equal(7, remaining.Keys.Count(k => k.StartsWith("base 1/", StringComparison.Ordinal)));
    }

    [StackFact]
    public void A_taken_over_dockerignore_without_obj_publishes_warns_of_the_data_it_lets_in_and_the_tfvars_is_no_model_code()
    {
        ScaffoldWithInfrastructure();
        // The original flow's Dockerfile.dockerignore, renamed: written for the parent folder, it knows nothing of obj/, bin/ or scenarios/.
        File.WriteAllText(Path.Combine(Model, ".dockerignore"), "**/__pycache__\n**/.ipynb_checkpoints\n");
        var dry = Publish("-p:QuetzalDryRun=true");
        Assert.True(dry.Succeeded, dry.ToString());
        Assert.DoesNotContain("QTZ9001", dry.Output);
        Assert.Contains("warning QTZ3009: scenarios/ (", dry.Output);
        PublishSucceeds();

        // The tfvars the SDK writes into the model folder for infra/ is not model code: no new image, no Lambda update.
        var tfvars = packages.Run(Model, ["build", "-t:QuetzalWriteTfvars", "-nodeReuse:false"]);
        Assert.True(tfvars.Succeeded, tfvars.ToString());
        Assert.True(File.Exists(Path.Combine(Model, "infra", "environments", _name + ".tfvars")));
        var again = Publish();
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Image: unchanged", again.Output);
        Assert.Contains("Lambda: unchanged", again.Output);
    }

    [StackFact]
    public async Task A_publish_writes_the_apps_metadata_info_json_and_common_prefix_and_a_second_writes_nothing()
    {
        ScaffoldWithInfrastructure();
        File.WriteAllText(Path.Combine(Model, "modelConfig.json"), "{\"version\":0,\"units\":{}}");
        Directory.CreateDirectory(Path.Combine(Model, "docs"));
        File.WriteAllText(Path.Combine(Model, "docs", "guide.md"), "# How to run the model");
        var project = Path.Combine(Model, _name + ".quetzalproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", """
              <ItemGroup>
                <QuetzalScenario Update="base" Description="Lyon 2024, as calibrated" />
              </ItemGroup>
            </Project>
            """));
        PublishSucceeds("-p:QuetzalUserEmail=modeller@example.org");

        // What the app reads, read back with the AWS CLI: checksum is the SHA-256 of the local file, user_email the publisher.
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        var head = Processes.Run("aws", ["s3api", "head-object", "--bucket", _name, "--key", "base/inputs/params.json", "--endpoint-url", LocalStack.S3], env);
        Assert.True(head.Succeeded, head.ToString());
        var metadata = JsonNode.Parse(head.Output)!["Metadata"]!;
        var local = await File.ReadAllBytesAsync(Path.Combine(Model, "scenarios", "base", "inputs", "params.json"));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(local)), (string?)metadata["checksum"]);
        Assert.Equal("modeller@example.org", (string?)metadata["user_email"]);

        var objects = await Objects(_name);
        var info = JsonNode.Parse(objects["base/info.json"])!;
        Assert.Equal("Lyon 2024, as calibrated", (string?)info["description"]);
        Assert.Equal("v1", (string?)info["model_tag"]);
        Assert.Equal("modeller@example.org", (string?)info["last_modified_email"]);
        Assert.Equal("[\"base\"]\n", System.Text.Encoding.UTF8.GetString(objects["_common/lock.json"]));
        Assert.Equal("{\"version\":0,\"units\":{}}", System.Text.Encoding.UTF8.GetString(objects["_common/modelConfig.json"]));
        Assert.Equal("# How to run the model", System.Text.Encoding.UTF8.GetString(objects["_common/docs/guide.md"]));

        await ResetStats();
        var before = Storage();
        PublishSucceeds("-p:QuetzalUserEmail=modeller@example.org");
        Assert.Empty(Changed(before, Storage()));
        Assert.Empty(await ControlPlaneWrites());
    }

    [StackFact]
    public async Task A_function_idle_for_weeks_is_updated_without_waiting_for_it_to_become_active()
    {
        var (before, _, _) = await PublishedOnce();
        using (var http = new HttpClient())
            (await http.PostAsync($"{LocalStack.ControlPlane}/_local/deactivate?function={_name}", null)).EnsureSuccessStatusCode();
        // Waiting for State Active, as the publish did, hung for QuetzalLambdaWait (10 minutes), then failed (QTZ4021).
        var function = await Version2Deployed(before);
        Assert.Equal("Inactive", function.State);
    }

    [StackFact]
    public async Task A_publish_waits_for_an_update_someone_else_started_before_changing_the_function()
    {
        var (before, _, _) = await PublishedOnce();
        // A colleague's change of the function is still in progress when this publish reaches it; the stand-in, as
        // Lambda, answers 409 to any other change meanwhile.
        using var lambda = new LambdaClient(_aws);
        var function = (await lambda.GetFunctionAsync(_name, default))!;
        await lambda.UpdateFunctionConfigurationAsync(_name, function.Settings with { Timeout = function.Settings.Timeout + 1 }, default);
        var after = await Version2Deployed(before);
        Assert.Equal(function.Settings.Timeout, after.Settings.Timeout); // the project's timeout, set again
    }

    [StackFact]
    public async Task A_function_whose_last_update_failed_takes_the_next_publish()
    {
        var (before, _, _) = await PublishedOnce();
        // Someone points the function at an image the registry does not have: Lambda takes the request, then the update fails.
        using var lambda = new LambdaClient(_aws);
        await lambda.UpdateFunctionCodeAsync(_name, $"{LocalStack.Registry}/{_name}@sha256:{new string('0', 64)}", default);
        var failed = (await lambda.GetFunctionAsync(_name, default))!;
        Assert.Equal(("Failed", "InvalidImage"), (failed.LastUpdateStatus, failed.LastUpdateStatusReasonCode));
        await Version2Deployed(before);
    }

    [StackFact]
    public async Task Teardown_needs_confirmation_and_then_empties_what_terraform_destroy_cannot()
    {
        ScaffoldWithInfrastructure();
        Assert.True(Publish().Succeeded);
        using var lambda = new LambdaClient(_aws);
        var digest = (await lambda.GetFunctionAsync(_name, default))!.ResolvedImageUri!.Split('@')[1];

        ProcessResult Teardown(params string[] extra)
            => packages.Run(Model, ["build", "-t:QuetzalTeardown", "-nodeReuse:false", "-m:1", .. extra], LocalStack.Environment_());

        var refused = Teardown();
        Assert.False(refused.Succeeded);
        Assert.Contains($"error QTZ4050: Teardown deletes the Lambda function, every object of the bucket and every image of '{_name}'", refused.Output);
        var planned = Teardown("-p:QuetzalDryRun=true");
        Assert.True(planned.Succeeded, planned.ToString());
        Assert.Contains($"Lambda: would delete {_name} and its versions", planned.Output);
        Assert.Contains($"Step Functions: would delete 1 versions of {_name}", planned.Output);
        Assert.Contains($"S3: would delete 7 objects and versions of {_name}", planned.Output);
        // The model's image and its dependencies' image.
        Assert.Contains($"ECR: would delete 2 images of {_name}", planned.Output);
        Assert.NotNull(await lambda.GetFunctionAsync(_name, default));
        Assert.Equal(7, (await Objects(_name)).Count);

        var done = Teardown($"-p:QuetzalConfirmTeardown={_name}");
        Assert.True(done.Succeeded, done.ToString());
        Assert.Null(await lambda.GetFunctionAsync(_name, default));
        using (var sfn = new StepFunctionsClient(_aws))
            Assert.Empty(await sfn.ListStateMachineVersionsAsync($"arn:aws:states:ca-central-1:123456789012:stateMachine:{_name}", default));
        Assert.Empty(await Objects(_name));
        using var ecr = new EcrClient(_aws);
        Assert.Empty(await ecr.ListImagesAsync(_name, default));
        using var registry = new RegistryClient(await ecr.GetAuthorizationTokenAsync(default));
        Assert.Null(await registry.HeadManifestAsync(_name, digest, default));
        Assert.Contains("destroy -var-file=", done.Output);
        Assert.Contains($"workspace delete {_name}", done.Output);
    }

    [StackFact]
    public async Task Two_admins_granting_access_at_once_both_land_and_revoke_takes_one_out()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        var config = $"cfg-{_name}";
        using (var s3 = S3()) await s3.PutBucketAsync(config);
        var env = LocalStack.Environment_();
        env["AWS_ENDPOINT_URL_S3"] = LocalStack.ConditionalS3;

        var missing = packages.Run(Model, ["build", "-t:QuetzalGrantAccess", "-nodeReuse:false", $"-p:QuetzalConfigBucket={config}"], env);
        Assert.Contains("error QTZ4060: Name the Cognito group", missing.Output);

        ProcessResult Change(string target, string bucket) => packages.Run(Model,
            ["build", $"-t:{target}", "-nodeReuse:false", $"-p:QuetzalConfigBucket={config}", "-p:QuetzalCognitoGroup=planners", $"-p:QuetzalBucketName={bucket}"], env);
        var grants = await Task.WhenAll(Task.Run(() => Change("QuetzalGrantAccess", $"{_name}-a")), Task.Run(() => Change("QuetzalGrantAccess", $"{_name}-b")));
        Assert.All(grants, g => Assert.True(g.Succeeded, g.ToString()));
        var revoke = Change("QuetzalRevokeAccess", $"{_name}-a");
        Assert.True(revoke.Succeeded, revoke.ToString());
        Assert.Contains($"revoked group 'planners''s access to {_name}-a", revoke.Output);

        using var client = S3();
        using var file = await client.GetObjectAsync(config, "cognito_group_access.json");
        var document = JsonNode.Parse(await new StreamReader(file.ResponseStream).ReadToEndAsync())!;
        Assert.Equal([$"{_name}-b"], document["planners"]!.AsArray().Select(n => (string?)n));
    }

    [StackFact]
    public async Task A_second_publish_of_the_same_model_waits_and_then_stops_without_changing_anything()
    {
        ScaffoldWithInfrastructure();
        var lockFile = Path.Combine(Model, "obj", "quetzal", "publish.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        using (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            // This test holds the lock, as a publish running in another window would.
            var blocked = Publish("-p:QuetzalPublishLockTimeout=2");
            Assert.False(blocked.Succeeded);
            Assert.Contains($"another publish or teardown of {_name} is running; waiting for it", blocked.Output);
            Assert.Contains($"error QTZ4070: Another publish or teardown of '{_name}' still held", blocked.Output);
            using var lambda = new LambdaClient(_aws);
            Assert.Null(await lambda.GetFunctionAsync(_name, default));
            Assert.Empty(await Objects(_name));
        }
        var after = Publish();
        Assert.True(after.Succeeded, after.ToString());
    }

    [StackFact]
    public async Task Cancelling_during_an_upload_stops_within_two_seconds_and_leaves_nothing_partial()
    {
        ScaffoldWithInfrastructure();
        var big = Path.Combine(Model, "scenarios", "base", "inputs", "raster", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        using (var file = File.Create(big))
        {
            var chunk = new byte[1 << 20];
            new Random(3).NextBytes(chunk);
            for (var i = 0; i < 1024; i++) { chunk[0] = (byte)i; file.Write(chunk); }
        }

        // Through the stack's S3 front, which counts multipart aborts (s3rver itself does not implement them).
        var env = LocalStack.Environment_();
        env["AWS_ENDPOINT_URL_S3"] = LocalStack.ConditionalS3;
        await ResetStats();
        var (publish, output) = StartPublish("QuetzalPublishScenarios", env);
        using var _ = Processes.Ending(publish);

        // Wait until the big file's multipart upload is under way at the server.
        var uploads = Path.Combine(LocalStack.StateDirectory, "s3-data", _name, "._S3rver_uploads");
        await WaitWhileRunning(publish, output, "a multipart upload under way",
            () => Directory.Exists(uploads) && Directory.EnumerateFiles(uploads, "*", SearchOption.AllDirectories).Any(f => Path.GetFileName(f) == "1"));

        var stopped = Interrupt(publish);
        Assert.True(stopped < TimeSpan.FromSeconds(2), $"stopped after {stopped.TotalSeconds:F1} s:\n{output}");
        Assert.NotEqual(0, publish.ExitCode);

        using var s3 = S3();
        var head = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(_name, "base/inputs/raster/big.bin"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, head.StatusCode);
        using var http = new HttpClient();
        var stats = JsonNode.Parse(await http.GetStringAsync($"{LocalStack.ControlPlane}/_local/stats"))!.AsObject();
        Assert.Equal(1, (int?)stats["S3.CreateMultipartUpload"]);
        Assert.Equal(1, (int?)stats["S3.AbortMultipartUpload"]);
        Assert.Contains("QTZ9002", output.ToString());
    }

    /// <summary>A scaffolded model, published once: the Lambda's image, the state machine and its definition then.</summary>
    private async Task<(string Image, string Arn, string Definition)> PublishedOnce()
    {
        ScaffoldWithInfrastructure();
        var first = Publish();
        Assert.True(first.Succeeded, first.ToString());
        using var lambda = new LambdaClient(_aws);
        using var sfn = new StepFunctionsClient(_aws);
        var arn = (await StateMachines.FindArnAsync(_aws, _name))!;
        return ((await lambda.GetFunctionAsync(_name, default))!.ImageUri!, arn, (await sfn.DescribeStateMachineAsync(arn, default)).Definition);
    }

    /// <summary>Publishes version 2 of the model, which must succeed: the function then runs a new image, its update Successful.</summary>
    private async Task<FunctionState> Version2Deployed(string before)
    {
        ChangeImageAndWorkflow();
        var result = Publish();
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains($"Lambda: updated {_name} to ", result.Output);
        // The summary says how long Lambda took to apply the update: the stand-in holds an update InProgress for 0.6 s.
        var applied = System.Text.RegularExpressions.Regex.Match(result.Output, $@"Lambda: updated {_name} to \S+[^\n]*, applied by Lambda in (\d+\.\d+) s");
        Assert.True(applied.Success, result.Output);
        Assert.InRange(double.Parse(applied.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.6, 60);
        using var lambda = new LambdaClient(_aws);
        var function = (await lambda.GetFunctionAsync(_name, default))!;
        Assert.NotEqual(before, function.ImageUri);
        Assert.Equal("Successful", function.LastUpdateStatus);
        return function;
    }

    /// <summary>Version 2 of the model: a changed step (so a new image) and a changed workflow (so a new definition).</summary>
    private void ChangeImageAndWorkflow()
    {
        File.AppendAllText(Path.Combine(Model, "steps", "loaded_links.py"), "\n# version 2\n");
        var machineFile = Path.Combine(Model, "step-functions.json");
        File.WriteAllText(machineFile, File.ReadAllText(machineFile).Replace("The model's workflow", "The model's workflow, version 2"));
    }

    /// <summary>Starts a publish target as a process of its own, to be interrupted while it runs.</summary>
    private (System.Diagnostics.Process Process, System.Text.StringBuilder Output) StartPublish(string target, IDictionary<string, string> env)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = Model, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", $"-t:{target}", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}" }) start.ArgumentList.Add(argument);
        foreach (var (k, v) in packages.Environment) start.Environment[k] = v;
        foreach (var (k, v) in env) start.Environment[k] = v;
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        var process = System.Diagnostics.Process.Start(Processes.Interruptible(start))!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    /// <summary>Waits, up to two minutes, until <paramref name="reached"/>, while the publish keeps running.</summary>
    private static async Task WaitWhileRunning(System.Diagnostics.Process process, System.Text.StringBuilder output, string what, Func<bool> reached)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!reached())
        {
            Assert.False(process.HasExited, $"the publish ended before {what}:\n{output}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"no {what} after two minutes:\n{output}");
            await Task.Delay(20);
        }
    }

    /// <summary>Sends what Ctrl+C sends; returns how long the process took to exit.</summary>
    private static TimeSpan Interrupt(System.Diagnostics.Process process)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(Processes.Run("kill", ["-INT", process.Id.ToString()]).Succeeded);
        Assert.True(process.WaitForExit(10_000), "the publish did not stop");
        var stopped = clock.Elapsed;
        process.WaitForExit();
        return stopped;
    }

    /// <summary>Makes the Docker engine push this model's images through <paramref name="proxy"/>: the repository's URI names it.</summary>
    private async Task PushThrough(FaultProxy proxy)
    {
        using var http = new HttpClient();
        (await http.PostAsync($"{LocalStack.ControlPlane}/_local/repository-host?repository={_name}&host=127.0.0.1:{proxy.Port}", null)).EnsureSuccessStatusCode();
    }

    /// <summary>A client of the local registry itself (not through a proxy), logged in as the engine is.</summary>
    private static HttpClient RegistryHttp()
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"AWS:{LocalStack.RegistryToken}")));
        return http;
    }

    /// <summary>The tags the registry holds for this model (read directly, not through a proxy).</summary>
    private async Task<string[]> RegistryTags()
    {
        using var http = RegistryHttp();
        using var response = await http.GetAsync($"http://{LocalStack.Registry}/v2/{_name}/tags/list");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return [];
        var tags = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["tags"]?.AsArray();
        return tags?.Select(t => (string)t!).Order().ToArray() ?? [];
    }

    /// <summary>The digest a tag of this model names in the registry (read directly), or null.</summary>
    private async Task<string?> TagDigest(string tag)
    {
        using var http = RegistryHttp();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{LocalStack.Registry}/v2/{_name}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? response.Headers.GetValues("Docker-Content-Digest").Single() : null;
    }

    [StackFact]
    public async Task An_extra_image_tag_names_the_published_digest_even_from_an_engine_that_never_had_the_image()
    {
        await PublishedOnce();
        var digest = await TagDigest("v1");

        var tagged = Publish("-p:QuetzalImageTag=release-1");
        Assert.True(tagged.Succeeded, tagged.ToString());
        Assert.Equal(digest, await TagDigest("release-1"));

        // Another machine publishing the same model files: its Docker engine holds none of this model's images.
        var local = Processes.Run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        foreach (var reference in local.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(r => r.Contains(_name, StringComparison.Ordinal)))
            Assert.True(Processes.Run("docker", ["rmi", "-f", reference]).Succeeded);
        var moved = Publish("-p:QuetzalImageTag=release-2");
        Assert.True(moved.Succeeded, moved.ToString());
        Assert.Equal(digest, await TagDigest("release-2"));
        Assert.Equal(digest, await TagDigest("release-1"));
        Assert.Contains("release-2", moved.Output);

        // Once the tag names the digest, publishing with it writes nothing.
        var before = Storage();
        var again = Publish("-p:QuetzalImageTag=release-2");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Empty(Changed(before, Storage()));

        // A new image: the tag moves to it with the Lambda; the older tag stays where it was.
        ChangeImageAndWorkflow();
        var next = Publish("-p:QuetzalImageTag=release-2");
        Assert.True(next.Succeeded, next.ToString());
        using var lambda = new LambdaClient(_aws);
        var image2 = (await lambda.GetFunctionAsync(_name, default))!.ResolvedImageUri!;
        Assert.NotEqual(digest, image2[(image2.IndexOf('@') + 1)..]);
        Assert.Equal(image2[(image2.IndexOf('@') + 1)..], await TagDigest("release-2"));
        Assert.Equal(digest, await TagDigest("release-1"));
    }

    private static bool IsLayerUpload(FaultProxy.Request r) => r.HttpMethod is "PATCH" or "PUT" && r.Url!.AbsolutePath.Contains("/blobs/uploads/", StringComparison.Ordinal);

    [StackFact]
    public async Task Faults_between_the_engine_and_the_registry_are_retried_and_the_publish_succeeds()
    {
        ScaffoldWithInfrastructure();
        using var registry = new FaultProxy($"http://{LocalStack.Registry}");
        await PushThrough(registry);
        // The first layer upload loses its connection, the next is answered 503: the engine retries both.
        registry.Add(new(IsLayerUpload, new FaultProxy.Reset(), Times: 1));
        registry.Add(new(IsLayerUpload, new FaultProxy.Status(503, "UNAVAILABLE"), Times: 1));

        var result = Publish();
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(2, registry.Faults.Count);
        using var lambda = new LambdaClient(_aws);
        // The function runs the first version's tag, resolved by Lambda to the pushed digest.
        var function = (await lambda.GetFunctionAsync(_name, default))!;
        Assert.Equal($"127.0.0.1:{registry.Port}/{_name}:v1", function.ImageUri);
        var image = function.ResolvedImageUri!;
        Assert.StartsWith($"127.0.0.1:{registry.Port}/{_name}@sha256:", image);
        // The dependencies' image (pushed by the engine) and the model's (its layer added through the registry's API), tagged v1 too.
        var tags = await RegistryTags();
        Assert.Equal(3, tags.Length);
        Assert.Contains("v1", tags);
        Assert.Single(tags, t => t.StartsWith("deps-", StringComparison.Ordinal));
        Assert.Single(tags, t => t.StartsWith("q-", StringComparison.Ordinal));

        // A step edit adds the model's layer without the engine: the SDK's own uploads meet the same faults and retry them.
        ChangeImageAndWorkflow();
        registry.Add(new(IsLayerUpload, new FaultProxy.Reset(), Times: 1));
        registry.Add(new(IsLayerUpload, new FaultProxy.Status(503, "UNAVAILABLE"), Times: 1));
        var edited = Publish();
        Assert.True(edited.Succeeded, edited.ToString());
        Assert.DoesNotContain("Building", edited.Output);
        Assert.Equal(4, registry.Faults.Count);
        var image2 = (await lambda.GetFunctionAsync(_name, default))!.ResolvedImageUri!;
        Assert.NotEqual(image, image2);
        Assert.Equal(image2[(image2.IndexOf('@') + 1)..], await TagDigest((await RegistryTags()).Single(t => t.StartsWith("q-", StringComparison.Ordinal) && !tags.Contains(t))));
    }

    [StackFact]
    public async Task A_registry_that_keeps_refusing_the_image_is_a_coded_error_and_the_lambda_keeps_its_image_until_a_push_succeeds()
    {
        var (before, arn, definition) = await PublishedOnce();
        using var lambda = new LambdaClient(_aws);
        using var sfn = new StepFunctionsClient(_aws);
        var tags = await RegistryTags();

        // A new image and a new workflow, while the registry takes the layers and refuses every manifest.
        ChangeImageAndWorkflow();
        using var registry = new FaultProxy($"http://{LocalStack.Registry}");
        await PushThrough(registry);
        registry.Add(new(r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.Contains("/manifests/", StringComparison.Ordinal), new FaultProxy.Status(500, "UNKNOWN")));

        var failed = Publish();
        Assert.False(failed.Succeeded);
        Assert.Contains($"error QTZ3005: Pushing the image to 127.0.0.1:{registry.Port}/{_name} failed", failed.Output);
        Assert.Equal(before, (await lambda.GetFunctionAsync(_name, default))!.ImageUri);
        Assert.Equal(definition, (await sfn.DescribeStateMachineAsync(arn, default)).Definition);
        Assert.Equal(tags, await RegistryTags());

        registry.Clear();
        var again = Publish();
        Assert.True(again.Succeeded, again.ToString());
        Assert.StartsWith($"127.0.0.1:{registry.Port}/{_name}@sha256:", (await lambda.GetFunctionAsync(_name, default))!.ResolvedImageUri);
        Assert.Equal($"127.0.0.1:{registry.Port}/{_name}:v2", (await lambda.GetFunctionAsync(_name, default))!.ImageUri);
        Assert.Contains("version 2", (await sfn.DescribeStateMachineAsync(arn, default)).Definition);
    }

    [StackFact]
    public async Task Cancelling_during_an_image_push_stops_within_two_seconds_and_the_lambda_keeps_its_image()
    {
        var (before, _, _) = await PublishedOnce();
        using var lambda = new LambdaClient(_aws);
        var tags = await RegistryTags();

        ChangeImageAndWorkflow();
        using var registry = new FaultProxy($"http://{LocalStack.Registry}");
        await PushThrough(registry);
        // Every layer upload hangs: the push is under way and cannot finish.
        registry.Add(new(IsLayerUpload, new FaultProxy.Stall(TimeSpan.FromMinutes(2))));
        var (publish, output) = StartPublish("Publish", LocalStack.Environment_());
        using var _ = Processes.Ending(publish);
        await WaitWhileRunning(publish, output, "a layer upload under way", () => !registry.Faults.IsEmpty);

        var stopped = Interrupt(publish);
        Assert.True(stopped < TimeSpan.FromSeconds(2), $"stopped after {stopped.TotalSeconds:F1} s:\n{output}");
        Assert.NotEqual(0, publish.ExitCode);
        Assert.Contains("QTZ9002", output.ToString());
        Assert.Equal(before, (await lambda.GetFunctionAsync(_name, default))!.ImageUri);
        Assert.Equal(tags, await RegistryTags());
    }

    [StackFact]
    public async Task Publishes_of_the_same_model_from_two_folders_never_interleave()
    {
        ScaffoldWithInfrastructure();
        // A second clone of the model: its own folder, so its own local lock; only the bucket lease is shared.
        var clone = _workspace.Combine("clone", _name);
        TempDirectory.CopyDirectory(Model, clone);

        // The first publish holds the lease while the control plane keeps its Lambda creation waiting.
        using var controlPlane = new FaultProxy(LocalStack.ControlPlane);
        controlPlane.Add(new(r => r.HttpMethod == "POST" && r.Url!.AbsolutePath == "/2015-03-31/functions", new FaultProxy.Stall(TimeSpan.FromSeconds(25)), Times: 1));
        var env = LocalStack.Environment_();
        env["AWS_ENDPOINT_URL_ECR"] = env["AWS_ENDPOINT_URL_LAMBDA"] = env["AWS_ENDPOINT_URL_SFN"] = controlPlane.Url;
        env["AWS_ENDPOINT_URL_S3"] = LocalStack.ConditionalS3; // with S3's conditional writes
        var (first, firstOutput) = StartPublish("Publish", env);
        using var _ = Processes.Ending(first);
        await WaitWhileRunning(first, firstOutput, "the first publish creating its Lambda", () => !controlPlane.Faults.IsEmpty);

        // The second finds the image pushed and the Lambda still missing: it must write, so it waits for the lease,
        // then gives up, naming the first, having changed nothing.
        string[] publish = ["build", "-t:Publish", "-nodeReuse:false", "-m:1", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"];
        var second = packages.Run(clone, [.. publish, "-p:QuetzalPublishLockTimeout=3"], env);
        Assert.False(second.Succeeded, second.ToString());
        Assert.Contains("error QTZ4071", second.Output);
        Assert.Contains($"(process {first.Id})", second.Output);
        Assert.DoesNotContain("Creating Lambda function", second.Output);

        Assert.True(first.WaitForExit(180_000), "the first publish did not end");
        first.WaitForExit();
        Assert.True(first.ExitCode == 0, firstOutput.ToString());
        // Once it has ended, the second publishes: the first left nothing for it to change, and no lease behind.
        var again = packages.Run(clone, publish, env);
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Lambda: unchanged", again.Output);
        using var s3 = S3();
        var lease = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(_name, BucketLease.Key));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, lease.StatusCode);
    }

    private Dictionary<string, string> Through(FaultProxy controlPlane, FaultProxy s3)
    {
        var env = LocalStack.Environment_();
        env["AWS_ENDPOINT_URL_ECR"] = env["AWS_ENDPOINT_URL_LAMBDA"] = env["AWS_ENDPOINT_URL_SFN"] = controlPlane.Url;
        env["AWS_ENDPOINT_URL_S3"] = s3.Url;
        return env;
    }

    private async Task AllObjectsEqualTheirFiles()
    {
        var objects = (await Objects(_name)).Where(o => o.Key.StartsWith("base/", StringComparison.Ordinal) && o.Key != "base/info.json").ToDictionary();
        var files = ScenarioPublisher.LocalFiles(Path.Combine(Model, "scenarios", "base")).ToList();
        Assert.True(files.Count == objects.Count, $"local: {string.Join(", ", files.Select(f => f.Relative))}; remote: {string.Join(", ", objects.Keys)}");
        foreach (var (path, relative) in files) Assert.Equal(await File.ReadAllBytesAsync(path), objects["base/" + relative]);
    }

    [StackFact]
    public async Task Transient_faults_of_every_kind_are_retried_and_the_publish_succeeds()
    {
        ScaffoldWithInfrastructure();
        using var controlPlane = new FaultProxy(LocalStack.ControlPlane);
        using var s3 = new FaultProxy(LocalStack.S3);
        controlPlane
            .Add(new(_ => true, new FaultProxy.Status(503, "ServiceUnavailableException"), Times: 2))
            .Add(new(r => r.Headers["X-Amz-Target"]?.EndsWith("DescribeStateMachine") == true, new FaultProxy.Reset(), Times: 1))
            .Add(new(r => r.Headers["X-Amz-Target"]?.EndsWith("DescribeStateMachine") == true, new FaultProxy.EmptyOk(), Times: 1))
            .Add(new(r => r.HttpMethod == "GET" && r.Url!.AbsolutePath.StartsWith("/2015-03-31/functions/"), new FaultProxy.Reset(), Times: 1))
            .Add(new(r => r.HttpMethod == "POST" && r.Url!.AbsolutePath == "/2015-03-31/functions", new FaultProxy.Status(429, "TooManyRequestsException"), Times: 1))
            .Add(new(r => r.Headers["X-Amz-Target"]?.EndsWith("GetAuthorizationToken") == true, new FaultProxy.Status(400, "ThrottlingException"), Times: 1))
            .Add(new(r => r.Url!.AbsolutePath.EndsWith("/configuration"), new FaultProxy.Stall(TimeSpan.FromSeconds(1)), Times: 1));
        s3
            .Add(new(r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.EndsWith("params.json"), new FaultProxy.Status(500, "InternalError"), Times: 2))
            .Add(new(r => r.HttpMethod == "GET", new FaultProxy.Status(503, "SlowDown"), Times: 1))
            .Add(new(r => r.HttpMethod == "PUT", new FaultProxy.Reset(), Times: 1))
            .Add(new(r => r.HttpMethod == "PUT", new FaultProxy.EmptyOk(), Times: 1));

        var result = PublishWith(Through(controlPlane, s3));
        Assert.True(result.Succeeded, result.ToString());
        Assert.True(controlPlane.Faults.Count >= 8, string.Join("\n", controlPlane.Faults));
        Assert.Contains(controlPlane.Faults, f => f.StartsWith("reset ", StringComparison.Ordinal));
        Assert.True(s3.Faults.Count >= 5, string.Join("\n", s3.Faults));
        Assert.Contains(s3.Faults, f => f.StartsWith("reset PUT", StringComparison.Ordinal));
        Assert.Contains(s3.Faults, f => f.StartsWith("empty 200 PUT", StringComparison.Ordinal));
        await AllObjectsEqualTheirFiles();
        using var lambda = new LambdaClient(_aws);
        Assert.Equal("Successful", (await lambda.GetFunctionAsync(_name, default))!.LastUpdateStatus);
    }

    [StackFact]
    public async Task A_persistent_s3_failure_is_a_coded_error_with_no_partial_object_and_publishing_again_converges()
    {
        ScaffoldWithInfrastructure();
        using var controlPlane = new FaultProxy(LocalStack.ControlPlane);
        using var s3 = new FaultProxy(LocalStack.S3);
        s3.Add(new(r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.EndsWith("params.json"), new FaultProxy.Status(500, "InternalError")));

        var failed = PublishWith(Through(controlPlane, s3));
        Assert.False(failed.Succeeded);
        Assert.Contains("error QTZ4031: Uploading", failed.Output);
        Assert.Contains("params.json", failed.Output);
        Assert.DoesNotContain("base/inputs/params.json", (await Objects(_name)).Keys);

        s3.Clear();
        var again = PublishWith(Through(controlPlane, s3));
        Assert.True(again.Succeeded, again.ToString());
        await AllObjectsEqualTheirFiles();
    }

    [StackFact]
    public async Task A_persistent_lambda_failure_keeps_the_old_image_and_the_old_state_machine_until_a_publish_succeeds()
    {
        var (before, arn, definition) = await PublishedOnce();
        using var lambda = new LambdaClient(_aws);
        using var sfn = new StepFunctionsClient(_aws);

        // A new image and a new workflow, while Lambda keeps failing to take new code.
        ChangeImageAndWorkflow();
        using var controlPlane = new FaultProxy(LocalStack.ControlPlane);
        using var s3 = new FaultProxy(LocalStack.S3);
        controlPlane.Add(new(r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.EndsWith("/code"), new FaultProxy.Status(500, "ServiceException")));

        var failed = PublishWith(Through(controlPlane, s3));
        Assert.False(failed.Succeeded);
        Assert.Contains("error QTZ4004: lambda UpdateFunctionCode failed", failed.Output);
        Assert.Equal(before, (await lambda.GetFunctionAsync(_name, default))!.ImageUri);
        Assert.Equal(definition, (await sfn.DescribeStateMachineAsync(arn, default)).Definition);

        controlPlane.Clear();
        var again = PublishWith(Through(controlPlane, s3));
        Assert.True(again.Succeeded, again.ToString());
        Assert.NotEqual(before, (await lambda.GetFunctionAsync(_name, default))!.ImageUri);
        Assert.Contains("version 2", (await sfn.DescribeStateMachineAsync(arn, default)).Definition);
    }

    [StackFact]
    public void Every_missing_resource_is_reported_at_once_with_the_command_that_leads_to_creating_them_and_nothing_is_deployed()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        foreach (var dryRun in new[] { "true", "false" })
        {
            var result = Publish($"-p:QuetzalDryRun={dryRun}");
            Assert.False(result.Succeeded);
            Assert.Contains($"error QTZ4010: The ECR repository '{_name}' does not exist", result.Output);
            Assert.Contains($"error QTZ4030: The S3 bucket '{_name}' does not exist", result.Output);
            Assert.Contains("dotnet build -t:QuetzalWriteTfvars", result.Output);
            Assert.DoesNotContain("MSB4018", result.Output);
        }
    }

    [StackFact]
    public async Task A_failing_dockerfile_step_is_one_plain_coded_error_at_its_dockerfile_line_and_the_lambda_is_not_touched()
    {
        ScaffoldWithInfrastructure();
        // A Dockerfile the user took over (no header), with a step that fails the way pip does, in colour.
        var dockerfile = Path.Combine(Model, "Dockerfile");
        File.WriteAllText(dockerfile, $"# our own\nFROM {LocalStack.BaseImage}\n\n# the dependencies\nRUN printf '\\033[31mERROR: No matching distribution found for quetzal==99\\033[0m\\n' && exit 7\n");
        var result = Publish();
        Assert.False(result.Succeeded);
        var errors = result.Output.Split('\n').Where(l => l.Contains("error QTZ3004", StringComparison.Ordinal)).Distinct().ToList();
        var error = Assert.Single(errors);
        Assert.StartsWith($"{dockerfile}(5,1): error QTZ3004: The image build failed: Step 2/2 : RUN printf", error.Trim());
        Assert.Contains("returned a non-zero code: 7", error);
        Assert.Contains("No matching distribution found for quetzal==99", error);
        Assert.DoesNotContain('\u001b', result.Output);
        using var lambda = new LambdaClient(_aws);
        Assert.Null(await lambda.GetFunctionAsync(_name, default));
    }

    [Fact]
    public void Without_credentials_the_publish_says_how_to_get_them()
    {
        using var home = new TempDirectory("home");
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        var result = packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1"], new Dictionary<string, string>
        {
            ["HOME"] = home.Path, ["AWS_CONFIG_FILE"] = home.Combine("none"), ["AWS_SHARED_CREDENTIALS_FILE"] = home.Combine("none"),
            ["AWS_EC2_METADATA_DISABLED"] = "true", ["AWS_ACCESS_KEY_ID"] = "", ["AWS_SECRET_ACCESS_KEY"] = "", ["AWS_PROFILE"] = "",
            ["AWS_ENDPOINT_URL"] = LocalStack.ControlPlane,
        });
        Assert.False(result.Succeeded);
        var errors = result.Output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().ToArray();
        Assert.Contains(errors, e => e.Contains("error QTZ4001: No AWS credentials") && e.Contains("aws configure") && e.Contains("QuetzalAwsProfile"));
        Assert.DoesNotContain(errors, e => e.Contains("QTZ9001") || e.Contains("MSB4018"));
    }

    [StackFact]
    public void A_model_in_another_region_than_the_stack_is_told_which_setting_to_change()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        var result = packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", "-p:QuetzalAwsRegion=eu-west-3"], LocalStack.Environment_());
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ4006: AWS answered that the request went to the wrong region", result.Output);
        Assert.DoesNotContain("QTZ4002", result.Output);
        Assert.DoesNotContain("sso login", result.Output);
        // Located at the model's project, which an IDE opens, not at the SDK's targets in the NuGet cache.
        var error = result.Output.Split('\n').First(l => l.Contains("error QTZ4006", StringComparison.Ordinal)).Trim();
        Assert.StartsWith(Path.Combine(Model, _name + ".quetzalproj") + " : error QTZ4006", error);
        Assert.DoesNotContain(".targets", error);
    }

    [StackFact]
    public void Refused_credentials_are_one_coded_error_and_the_secret_stays_out_of_the_log()
    {
        LocalStack.EnsureRunning();
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", _name).Succeeded);
        var env = LocalStack.Environment_();
        env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-canary-7f3a";
        var result = packages.Run(Model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", "-v:diag"], env);
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ4002: AWS refused the credentials (InvalidSignatureException", result.Output);
        Assert.DoesNotContain("wrong-secret-canary-7f3a", result.Output);
    }

    [StackFact]
    public void An_invalid_model_is_not_deployed()
    {
        ScaffoldWithInfrastructure();
        File.WriteAllText(Path.Combine(Model, "scenarios", "base", "inputs", "road", "links.geojson"), "{");
        var result = Publish();
        Assert.False(result.Succeeded);
        Assert.Contains("error QTZ1201", result.Output);
        Assert.DoesNotContain("Quetzal: publishing", result.Output);
    }
}
