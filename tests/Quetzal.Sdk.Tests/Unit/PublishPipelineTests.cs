using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Publish;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>The publish pipeline's decisions (create, update, unchanged; order; what a failure leaves) against in-memory services.</summary>
public sealed class PublishPipelineTests : IDisposable
{
    private const string Name = "quetzal-test";
    private readonly TempDirectory _dir = new("pipeline");
    private readonly string _model;
    private readonly ListLog _log = new();

    public PublishPipelineTests()
    {
        _model = _dir.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, _model);
        Directory.Delete(Path.Combine(_model, ".template.config"), recursive: true);
    }

    public void Dispose() => _dir.Dispose();

    private PublishRequest Request(Func<PublishRequest, PublishRequest>? change = null)
    {
        var request = TemplateRequest.For(_model, Name);
        return change is null ? request : change(request);
    }

    private Task<PublishPipeline> Publish(FakeAws aws, PublishRequest request) => TemplateRequest.PublishAsync(aws, request, _log);

    [Fact]
    public async Task A_dry_run_of_a_new_model_plans_every_creation_and_writes_nothing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var pipeline = await Publish(aws, Request(r => r with { DryRun = true }));
        Assert.Empty(aws.Writes);
        Assert.Collection(pipeline.Summary,
            line => Assert.StartsWith($"Image: new (registry.local/{Name}:q-", line),
            line => Assert.StartsWith($"Lambda: would create {Name} (memory 4016 MB, timeout 300 s, storage 4016 MB, role arn:aws:iam::123456789012:role/lambda-{Name}-role)", line),
            line => Assert.Equal($"State machine: would create {Name} and publish it as v1", line),
            line => Assert.StartsWith("S3 (plan) base: 5 new, 0 changed, 0 to delete, 0 unchanged", line),
            line => Assert.StartsWith("S3 (plan) base/info.json: would write (its files changed, model_tag v1)", line));
        // The first version: the image is tagged v1 and the function gets a version (Quenedi shows the tag).
        Assert.EndsWith("; would tag it v1", pipeline.Summary[0]);
        Assert.EndsWith("; would publish a version (v1)", pipeline.Summary[1]);
    }

    [Fact]
    public async Task A_first_publish_writes_in_order_under_the_lease_and_a_second_writes_nothing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        var writes = aws.Writes.Select(w => w.Split(' ')[0]).ToList();
        Assert.Equal("s3:PutObject", writes[0]); // the lease, before anything else
        Assert.Equal(".quetzal-publish-lease.json", aws.Writes[0].Split(' ')[1]);
        // The deployment in order; the scenarios' uploads run beside the Lambda and the state machine once the image
        // is pushed (their order among those depends on timing), never before.
        // The image gets its version tag before the function runs it; the state machine calls the version published.
        Assert.Equal(["docker:build", "docker:push", "registry:tag", "lambda:CreateFunction", "lambda:PublishVersion", "states:CreateStateMachine"],
            writes.Skip(1).Where(w => !w.StartsWith("s3:", StringComparison.Ordinal)).Take(6));
        Assert.DoesNotContain(writes.Skip(1).Take(writes.IndexOf("docker:push")), w => w.StartsWith("s3:", StringComparison.Ordinal));
        // Then the scenario's files, the model's _common/, and last the scenario's info.json.
        var puts = aws.Writes.Where(w => w.StartsWith("s3:PutObject", StringComparison.Ordinal)).Select(w => w.Split(' ', 2)[1]).Skip(1).ToList();
        Assert.Equal(5, puts.Count(k => k.StartsWith("base/inputs/", StringComparison.Ordinal)));
        Assert.Equal("base/info.json", puts[^1]);
        Assert.Equal("s3:DeleteObject", writes[^1]); // the lease, released
        Assert.DoesNotContain(aws.Objects.Keys, k => k.EndsWith(BucketLease.Key, StringComparison.Ordinal));

        // The state machine names the function's ARN and the role infra made.
        var (definition, role) = aws.StateMachines[Name];
        Assert.Equal($"arn:aws:iam::123456789012:role/sfn-{Name}-role", role);
        Assert.Equal($"arn:aws:lambda:ca-central-1:123456789012:function:{Name}:1", (string?)JsonNode.Parse(definition)!["States"]!["loaded_links"]!["Parameters"]!["FunctionName"]);
        Assert.Equal($"registry.local/{Name}:v1", aws.Functions[Name].ImageUri);
        Assert.EndsWith("@" + aws.Registry_[Name].Values.First().Digest, aws.Functions[Name].ResolvedImageUri);
        var version = Assert.Single(aws.StateMachineVersions[Name]);
        Assert.Matches(@"^v1 published \S+Z by .+; image sha256:[0-9a-f]{64}$", version.Description);

        aws.Writes.Clear();
        var again = await Publish(aws, Request());
        Assert.Empty(aws.Writes);
        Assert.Contains($"Lambda: unchanged ({Name}, version 1)", again.Summary);
        Assert.Single(aws.StateMachineVersions[Name]);
        Assert.Contains($"State machine: unchanged ({Name})", again.Summary);
    }

    [Fact]
    public async Task A_changed_setting_makes_a_new_version_with_the_same_image()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        aws.Writes.Clear();
        var pipeline = await Publish(aws, Request(r => r with { MemorySize = 3008 }));
        // No build, no push: the same image takes the tag v2, the function's configuration changes and is published as
        // version 2, which the state machine's new version calls.
        Assert.Equal(["registry:tag", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "states:UpdateStateMachine"],
            aws.Writes.Where(w => !w.StartsWith("s3:", StringComparison.Ordinal)).Select(w => w.Split(' ')[0]));
        Assert.Contains(pipeline.Summary, l => l.StartsWith($"Lambda: updated {Name} to registry.local/{Name}:v2 (memory 4016 -> 3008 MB), applied by Lambda in ", StringComparison.Ordinal) && l.EndsWith("; version 2"));
        Assert.Contains($":function:{Name}:2\"", aws.StateMachines[Name].Definition);
    }

    [Fact]
    public async Task An_edited_step_builds_a_new_image_and_points_the_lambda_at_it()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        var before = aws.Functions[Name].ImageUri;
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        aws.Writes.Clear();
        await Publish(aws, Request());
        // A new image is a new model_tag in the scenario's info.json.
        Assert.Equal(["docker:build", "docker:push", "registry:tag", "lambda:UpdateFunctionCode", "lambda:PublishVersion", "states:UpdateStateMachine", "s3:PutObject base/info.json"],
            aws.Writes.Where(w => !w.Contains(BucketLease.Key)).Select(w => w.StartsWith("s3:", StringComparison.Ordinal) ? w : w.Split(' ')[0]));
        Assert.NotEqual(before, aws.Functions[Name].ImageUri);
    }

    [Fact]
    public async Task With_the_generated_dockerfile_the_engine_builds_the_dependencies_once_and_a_step_edit_adds_the_models_layer_in_the_registry()
    {
        var settings = new Quetzal.Sdk.Container.ContainerSettings { SdkVersion = "1", BaseImage = "b" };
        File.WriteAllText(Path.Combine(_model, "Dockerfile"), Quetzal.Sdk.Container.ContainerFiles.Dockerfile(settings));
        var aws = new FakeAws().WithInfrastructure(Name);
        List<string> Deployment() => aws.Writes.Where(w => !w.StartsWith("s3:", StringComparison.Ordinal)).ToList();

        // First: the engine builds and pushes the dependencies; the model's image is put in the registry; then the Lambda.
        await Publish(aws, Request());
        var first = Deployment();
        Assert.Matches($"^docker:build {Name}:deps-[0-9a-f]{{16}}$", first[0]);
        Assert.Matches($"^docker:push registry.local/{Name}:deps-[0-9a-f]{{16}}$", first[1]);
        Assert.Matches($"^registry:put {Name}:q-[0-9a-f]{{16}}$", first[2]);
        Assert.Equal($"registry:tag {Name}:v1", first[3]);
        Assert.Equal($"lambda:CreateFunction {Name}", first[4]);
        var image = aws.Functions[Name].ResolvedImageUri!;
        var manifest = JsonNode.Parse(aws.RegistryBlobs[image[(image.IndexOf('@') + 1)..]])!;
        var layers = manifest["layers"]!.AsArray();
        Assert.Equal(2, layers.Count); // the dependencies' (one, in the fake engine) and the model's
        using (var reader = new System.Formats.Tar.TarReader(new System.IO.Compression.GZipStream(new MemoryStream(aws.RegistryBlobs[(string)layers[1]!["digest"]!]), System.IO.Compression.CompressionMode.Decompress)))
        {
            var names = new List<string>();
            while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
            Assert.Contains("var/task/steps/loaded_links.py", names);
        }

        // A step edit: no engine at all; the registry gets the model's new image, then the Lambda points at it.
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        aws.Writes.Clear();
        await Publish(aws, Request());
        Assert.Equal(["registry:put", "registry:tag", "lambda:UpdateFunctionCode", "lambda:PublishVersion", "states:UpdateStateMachine"], Deployment().Select(w => w.Split(' ')[0]));
        Assert.NotEqual(image, aws.Functions[Name].ResolvedImageUri);

        // A requirements change: new dependencies, built and pushed by the engine.
        File.AppendAllText(Path.Combine(_model, "requirements.txt"), "\nshapely\n");
        aws.Writes.Clear();
        await Publish(aws, Request());
        Assert.Equal(["docker:build", "docker:push", "registry:put", "registry:tag", "lambda:UpdateFunctionCode", "lambda:PublishVersion", "states:UpdateStateMachine"], Deployment().Select(w => w.Split(' ')[0]));
    }

    private void Age(string folder, TimeSpan age)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, DateTime.UtcNow - age);
    }

    [Fact]
    public async Task A_publish_of_unchanged_files_finds_their_image_by_their_sizes_and_times_and_an_edit_still_builds_anew()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var tags = _dir.Combine("obj", "content-tags.tsv");
        Age(_model, TimeSpan.FromMinutes(10));
        await Publish(aws, Request(r => r with { ContentTagsFile = tags }));
        var image = aws.Functions[Name].ImageUri;
        Assert.True(File.Exists(tags));

        // Same size, same write time, other bytes: what make and MSBuild call unchanged; the record answers, no file is read.
        var step = Path.Combine(_model, "steps", "loaded_links.py");
        var text = File.ReadAllText(step);
        var time = File.GetLastWriteTimeUtc(step);
        File.WriteAllText(step, text.Replace('a', 'b'));
        File.SetLastWriteTimeUtc(step, time);
        aws.Writes.Clear();
        var again = await Publish(aws, Request(r => r with { ContentTagsFile = tags }));
        Assert.Contains($"Image: unchanged (registry.local/{Name}@", again.Summary.First());
        Assert.DoesNotContain(aws.Writes, w => w.StartsWith("docker:", StringComparison.Ordinal));

        // A real edit (a new write time) is read, and builds.
        File.AppendAllText(step, "\n# edited\n");
        File.SetLastWriteTimeUtc(step, DateTime.UtcNow.AddMinutes(-1));
        await Publish(aws, Request(r => r with { ContentTagsFile = tags }));
        Assert.Contains("docker:build", aws.Writes.Select(w => w.Split(' ')[0]));
        Assert.NotEqual(image, aws.Functions[Name].ImageUri);
    }

    [Fact]
    public async Task A_new_image_names_what_changed_since_the_one_last_published_the_base_image_too_and_not_a_file_only_touched()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var tags = _dir.Combine("obj", "content-tags.tsv");
        File.WriteAllText(Path.Combine(_model, "Dockerfile"), "FROM public.ecr.aws/lambda/python:3.12\nCOPY . ${LAMBDA_TASK_ROOT}/\n");
        var first = await Publish(aws, Request(r => r with { ContentTagsFile = tags }));
        Assert.DoesNotContain("changed since", first.Summary[0]); // nothing published from this folder before: nothing to compare with
        var published = aws.Functions[Name].ImageUri;

        File.AppendAllText(Path.Combine(_model, "steps", "network_summary.py"), "\n# edited\n");
        File.WriteAllText(Path.Combine(_model, "steps", "road_times.py"), "print('new')\n");
        File.Delete(Path.Combine(_model, "steps", "model_io.py"));
        var touched = Path.Combine(_model, "steps", "loaded_links.py");
        File.WriteAllText(touched, File.ReadAllText(touched)); // same bytes, a new time
        File.SetLastWriteTimeUtc(touched, DateTime.UtcNow.AddMinutes(1));
        File.WriteAllText(Path.Combine(_model, "Dockerfile"), "FROM public.ecr.aws/lambda/python:3.13\nCOPY . ${LAMBDA_TASK_ROOT}/\n");

        aws.Writes.Clear();
        var dry = await Publish(aws, Request(r => r with { ContentTagsFile = tags, DryRun = true }));
        Assert.Empty(aws.Writes);
        Assert.Matches(@"; changed since q-[0-9a-f]{16}: base image public\.ecr\.aws/lambda/python:3\.12 -> public\.ecr\.aws/lambda/python:3\.13, "
            + @"steps/network_summary\.py, \+steps/road_times\.py, -steps/model_io\.py\); would build and push", dry.Summary[0]);

        // Published, that image is the one the next change is told against.
        await Publish(aws, Request(r => r with { ContentTagsFile = tags }));
        Assert.NotEqual(published, aws.Functions[Name].ImageUri);
        File.AppendAllText(Path.Combine(_model, "steps", "road_times.py"), "# again\n");
        var next = await Publish(aws, Request(r => r with { ContentTagsFile = tags, DryRun = true }));
        Assert.Contains(": steps/road_times.py); would build and push", next.Summary[0]);
    }

    [Fact]
    public async Task A_failed_image_build_leaves_everything_untouched_the_scenarios_too()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        File.WriteAllText(Path.Combine(_model, "scenarios", "base", "styles.json"), "[]");
        aws.BuildFailure = "step 3/5 failed";
        aws.Writes.Clear();
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request()));
        Assert.Equal("QTZ3004", error.Diagnostic.Code);
        // Only the lease, taken and released: the uploads start once the image is pushed.
        Assert.All(aws.Writes, w => Assert.Contains(BucketLease.Key, w));
    }

    [Fact]
    public async Task A_failed_lambda_update_leaves_the_state_machine_and_the_scenarios_info_untouched()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        var definition = aws.StateMachines[Name].Definition;
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        File.WriteAllText(Path.Combine(_model, "step-functions.json"), File.ReadAllText(Path.Combine(_model, "step-functions.json")).Replace("\"Comment\": \"", "\"Comment\": \"v2 "));
        File.WriteAllText(Path.Combine(_model, "scenarios", "base", "styles.json"), "[]");
        aws.LambdaFailure = "InvalidImage: the image is not valid";
        aws.Writes.Clear();

        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request()));
        Assert.Equal("QTZ4020", error.Diagnostic.Code);
        Assert.Contains("InvalidImage", error.Diagnostic.Message);
        Assert.Equal(definition, aws.StateMachines[Name].Definition);
        // The scenarios' files upload while the Lambda settles (they do not depend on the code); their info.json, which
        // names the deployed image, is written only once the deployment succeeded.
        Assert.DoesNotContain(aws.Writes, w => w.StartsWith("states:", StringComparison.Ordinal) || w.Contains("info.json"));
        Assert.DoesNotContain(aws.Objects.Keys, k => k.EndsWith(BucketLease.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_missing_resource_is_reported_at_once_and_nothing_is_written()
    {
        var aws = new FakeAws();
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request(r => r with { DryRun = true })));
        Assert.Equal(["QTZ4010", "QTZ4030"], error.Diagnostics.Select(d => d.Code).Order());
        Assert.Empty(aws.Writes);
    }

    [Fact]
    public async Task A_selection_of_steps_plans_only_those()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var pipeline = await Publish(aws, Request(r => r with { Steps = PublishSteps.Scenarios }));
        Assert.All(pipeline.Summary, line => Assert.StartsWith("S3 base", line));
        Assert.DoesNotContain(aws.Writes, w => !w.StartsWith("s3:", StringComparison.Ordinal));

        // The Lambda alone needs the image the registry should already hold.
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request(r => r with { Steps = PublishSteps.Lambda })));
        Assert.Equal("QTZ3005", error.Diagnostic.Code);
        Assert.Contains("publish the image first", error.Diagnostic.Message);
    }

    [Theory]
    [InlineData("cn-north-1", "aws-cn")]
    [InlineData("us-gov-west-1", "aws-us-gov")]
    [InlineData("eu-west-3", "aws")]
    public async Task Arns_follow_the_partition_of_the_region(string region, string partition)
    {
        var aws = new FakeAws(region).WithInfrastructure(Name);
        await Publish(aws, Request());
        var (definition, role) = aws.StateMachines[Name];
        Assert.Equal($"arn:{partition}:iam::123456789012:role/sfn-{Name}-role", role);
        Assert.Contains($"\"arn:{partition}:lambda:{region}:123456789012:function:{Name}:1\"", definition);
        Assert.Equal($"arn:{partition}:iam::123456789012:role/lambda-{Name}-role", aws.Functions[Name].Settings.Role);
    }

    [Fact]
    public async Task Another_publish_holding_the_lease_makes_this_one_read_again_before_writing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var other = await BucketLease.AcquireAsync(aws.S3, aws.S3Profile, Name, Name, TimeSpan.FromSeconds(1), _log, default, time);
        Assert.NotNull(other);
        var publish = new PublishPipeline(aws, _log) { Time = time }.PublishAsync(Request(), default);
        // It finds the lease held and waits on its clock, which only this test moves.
        await Until(() => _log.Lines.Any(l => l.Contains("waiting for it", StringComparison.Ordinal)));
        Assert.False(publish.IsCompleted);
        Assert.DoesNotContain(aws.Writes, w => w.StartsWith("docker:", StringComparison.Ordinal));
        await other.DisposeAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        await publish.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Contains(_log.Lines, l => l.Contains("reading the deployment again", StringComparison.Ordinal));
        Assert.Contains(aws.Writes, w => w.StartsWith("lambda:CreateFunction", StringComparison.Ordinal));
    }

    /// <summary>Waits for something the code under test does on its own thread (never for time to pass: that is the fake clock's).</summary>
    private static async Task Until(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition()) await Task.Delay(10, patience.Token);
    }

    [Fact]
    public async Task An_s3_compatible_bucket_without_conditional_writes_publishes_with_a_coded_warning()
    {
        var aws = new FakeAws { S3Profile = S3Profile.Compatible, RefuseConditionalWrites = true }.WithInfrastructure(Name);
        await Publish(aws, Request());
        Assert.Contains(_log.Lines, l => l.Contains("warning QTZ4073", StringComparison.Ordinal) && l.Contains($"s3://{Name}", StringComparison.Ordinal));
        Assert.Contains(aws.Writes, w => w.StartsWith("lambda:CreateFunction", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Aws_s3_refusing_the_lease_is_an_error_and_nothing_is_written()
    {
        var aws = new FakeAws { RefuseConditionalWrites = true }.WithInfrastructure(Name);
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request()));
        Assert.Equal("QTZ4072", error.Diagnostic.Code);
        Assert.Empty(aws.Writes);
    }

    [Fact]
    public async Task Pruning_never_deletes_what_runs_and_the_app_wrote_and_a_dry_run_names_every_key_it_would_delete()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        foreach (var key in new[] { "outputs/road_speed.csv", "logs/road_speed.txt", "info.json", "status.json", "styles.json" })
            aws.Objects[$"{Name}/base/{key}"] = [1];
        File.Delete(Path.Combine(_model, "scenarios", "base", "inputs", "pt", "links.geojson"));

        var dry = await Publish(aws, Request(r => r with { Prune = true, DryRun = true }));
        Assert.Contains($"  would delete s3://{Name}/base/inputs/pt/links.geojson", dry.Summary);
        Assert.Single(dry.Summary, l => l.Contains("would delete", StringComparison.Ordinal));

        await Publish(aws, Request(r => r with { Prune = true }));
        Assert.DoesNotContain($"{Name}/base/inputs/pt/links.geojson", aws.Objects.Keys);
        Assert.Equal(5, aws.Objects.Keys.Count(k => k.StartsWith($"{Name}/base/", StringComparison.Ordinal) && !k.Contains("/inputs/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_scenario_folder_named_in_decomposed_unicode_is_published_under_the_composed_name()
    {
        var decomposed = "sce\u0301nario 3";
        TempDirectory.CopyDirectory(Path.Combine(_model, "scenarios", "base"), Path.Combine(_model, "scenarios", decomposed));
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request(r => r with { Scenarios = ["base", decomposed], Steps = PublishSteps.Scenarios }));
        Assert.Equal(5, aws.Objects.Keys.Count(k => k.StartsWith($"{Name}/sc\u00e9nario 3/inputs/", StringComparison.Ordinal)));
        Assert.DoesNotContain(aws.Objects.Keys, k => k.Contains(decomposed, StringComparison.Ordinal));
        aws.Writes.Clear();
        await Publish(aws, Request(r => r with { Scenarios = ["base", decomposed], Steps = PublishSteps.Scenarios }));
        Assert.Empty(aws.Writes);
    }

    private static System.Text.Json.Nodes.JsonObject Json(FakeAws aws, string key) => System.Text.Json.Nodes.JsonNode.Parse(aws.Objects[$"{Name}/{key}"])!.AsObject();

    [Fact]
    public async Task Every_object_carries_the_apps_checksum_and_user_email_metadata()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request(r => r with { UserEmail = "modeller@example.org" }));
        var paramsFile = Path.Combine(_model, "scenarios", "base", "inputs", "params.json");
        var metadata = aws.Metadata[$"{Name}/base/inputs/params.json"];
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(paramsFile))), metadata["checksum"]);
        Assert.Equal("modeller@example.org", metadata["user_email"]);
        Assert.All(aws.Metadata.Where(m => aws.Objects.ContainsKey(m.Key)), m => Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(aws.Objects[m.Key])), m.Value["checksum"]));
    }

    [Fact]
    public async Task Info_json_says_what_was_deployed_by_whom_keeps_a_description_typed_in_the_app_and_is_not_rewritten_for_nothing()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request(r => r with { UserEmail = "a@example.org" }));
        var info = Json(aws, "base/info.json");
        Assert.Equal("v1", (string?)info["model_tag"]);
        Assert.Equal("a@example.org", (string?)info["last_modified_email"]);
        Assert.True(DateTime.TryParse((string?)info["last_modified_date"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out _));

        // A user types a description in the app; a publish that changes an input keeps it, and says who changed the scenario.
        info["description"] = "Typed in Quenedi";
        aws.Objects[$"{Name}/base/info.json"] = System.Text.Encoding.UTF8.GetBytes(info.ToJsonString());
        var paramsFile = Path.Combine(_model, "scenarios", "base", "inputs", "params.json");
        File.WriteAllText(paramsFile, File.ReadAllText(paramsFile).Replace("1.0", "1.5"));
        await Publish(aws, Request(r => r with { UserEmail = "b@example.org" }));
        var after = Json(aws, "base/info.json");
        Assert.Equal("Typed in Quenedi", (string?)after["description"]);
        Assert.Equal("b@example.org", (string?)after["last_modified_email"]);

        // Nothing changed: nothing written. A description the project gives replaces the app's.
        aws.Writes.Clear();
        await Publish(aws, Request(r => r with { UserEmail = "b@example.org" }));
        Assert.Empty(aws.Writes);
        await Publish(aws, Request(r => r with { Descriptions = new Dictionary<string, string> { ["base"] = "Base 2024" } }));
        Assert.Equal("Base 2024", (string?)Json(aws, "base/info.json")["description"]);
    }

    [Fact]
    public async Task The_models_common_prefix_holds_lock_json_its_model_config_and_docs()
    {
        var common = Path.Combine(_dir.Path, "common");
        File.WriteAllText(Path.Combine(_model, "modelConfig.json"), "{\"version\":0}");
        Directory.CreateDirectory(Path.Combine(_model, "docs"));
        File.WriteAllText(Path.Combine(_model, "docs", "guide.md"), "# Guide");
        var files = CommonFiles.Collect(Path.Combine(common, "lock.json"), ["peak-hour"], Path.Combine(_model, "modelConfig.json"), Path.Combine(_model, "docs"));
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request(r => r with { CommonFiles = files }));
        Assert.Equal("[\"base\", \"peak-hour\"]\n", System.Text.Encoding.UTF8.GetString(aws.Objects[$"{Name}/_common/lock.json"]));
        Assert.Equal("{\"version\":0}", System.Text.Encoding.UTF8.GetString(aws.Objects[$"{Name}/_common/modelConfig.json"]));
        Assert.Equal("# Guide", System.Text.Encoding.UTF8.GetString(aws.Objects[$"{Name}/_common/docs/guide.md"]));

        aws.Writes.Clear();
        await Publish(aws, Request(r => r with { CommonFiles = CommonFiles.Collect(Path.Combine(common, "lock.json"), ["peak-hour"], Path.Combine(_model, "modelConfig.json"), Path.Combine(_model, "docs")) }));
        Assert.Empty(aws.Writes);
    }

    [Fact]
    public async Task A_function_idle_for_weeks_takes_an_update_while_it_stays_inactive()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        // Lambda: an update of an Inactive function completes (Successful) while State stays Inactive until the next invocation.
        aws.Functions[Name] = aws.Functions[Name] with { State = "Inactive" };
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        var pipeline = await Publish(aws, Request(r => r with { LambdaWait = TimeSpan.FromSeconds(2) }));
        Assert.StartsWith($"Lambda: updated {Name} to ", Assert.Single(pipeline.Summary, l => l.StartsWith("Lambda:", StringComparison.Ordinal)));
        Assert.Equal("Inactive", aws.Functions[Name].State);
    }

    [Fact]
    public async Task An_update_refused_while_another_is_in_progress_is_waited_out_and_tried_again()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# edited\n");
        aws.Conflicts = 2;
        await Publish(aws, Request());
        Assert.Equal(0, aws.Conflicts);
        Assert.Single(aws.Writes, w => w.StartsWith("lambda:UpdateFunctionCode", StringComparison.Ordinal));
        Assert.EndsWith(aws.Registry_[Name].Values.Last().Digest, aws.Functions[Name].ResolvedImageUri);
    }

    [Fact]
    public async Task A_failed_create_says_lambdas_own_reason_and_code()
    {
        var aws = new FakeAws { CreateFailure = ("ImageAccessDenied", "Lambda does not have permission to access the ECR image.") }.WithInfrastructure(Name);
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(aws, Request()));
        Assert.Equal("QTZ4020", error.Diagnostic.Code);
        Assert.EndsWith("ImageAccessDenied: Lambda does not have permission to access the ECR image.", error.Diagnostic.Message);
        Assert.DoesNotContain("no reason", error.Diagnostic.Message);
        Assert.False(aws.StateMachines.ContainsKey(Name));
    }

    [Fact]
    public async Task A_function_whose_last_update_failed_takes_the_next_publish()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, Request());
        aws.Functions[Name] = aws.Functions[Name] with { LastUpdateStatus = "Failed", LastUpdateStatusReasonCode = "InvalidImage", LastUpdateStatusReason = "an earlier image" };
        File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), "\n# fixed\n");
        await Publish(aws, Request());
        Assert.Equal("Successful", aws.Functions[Name].LastUpdateStatus);
        Assert.EndsWith(aws.Registry_[Name].Values.Last().Digest, aws.Functions[Name].ResolvedImageUri);
    }
}
