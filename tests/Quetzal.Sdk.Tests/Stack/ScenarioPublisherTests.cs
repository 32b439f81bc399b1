using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>Scenario publishing against a real S3 server (s3rver), checked byte for byte.</summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)] // one serial collection for everything that touches the stack
public sealed class ScenarioPublisherTests : IDisposable
{
    private readonly TempDirectory _dir = new("s3");
    private readonly string _bucket = $"qtz-{Guid.NewGuid():N}"[..20];
    private readonly string _scenarios;
    private readonly AwsSettings _settings = new("ca-central-1", null, name => LocalStack.Environment_().GetValueOrDefault(name),
        new Amazon.Runtime.BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey));
    private readonly AmazonS3Client _s3 = new(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });

    public ScenarioPublisherTests()
    {
        _scenarios = _dir.Combine("scenarios");
        TempDirectory.CopyDirectory(Path.Combine(Repository.TemplateContent, "scenarios"), _scenarios);
    }

    public void Dispose()
    {
        _s3.Dispose();
        _dir.Dispose();
    }

    private async Task<IReadOnlyList<ScenarioPlan>> Publish(IReadOnlyList<string> scenarios, bool prune = false, bool apply = true, string? record = null)
    {
        using var s3 = S3Clients.Create(_settings);
        var publisher = new ScenarioPublisher(s3, S3Profile.For(_settings), NullPublishLog.Instance) { Digests = record is null ? FileDigests.None() : FileDigests.Load(record) };
        var plans = await publisher.PlanAsync(_bucket, _scenarios, scenarios, prune, default);
        if (apply) await publisher.ApplyAsync(_bucket, plans, default);
        return plans;
    }

    private async Task<Dictionary<string, byte[]>> RemoteObjects()
    {
        var result = new Dictionary<string, byte[]>();
        foreach (var item in (await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })).S3Objects ?? [])
        {
            using var response = await _s3.GetObjectAsync(_bucket, item.Key);
            using var memory = new MemoryStream();
            await response.ResponseStream.CopyToAsync(memory);
            result[item.Key] = memory.ToArray();
        }
        return result;
    }

    private void Copy(string from, string to) => TempDirectory.CopyDirectory(Path.Combine(_scenarios, from), Path.Combine(_scenarios, to));

    [StackFact]
    public async Task Every_file_lands_byte_for_byte_and_a_second_publish_plans_no_write()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var first = await Publish(["base"]);
        Assert.Equal(5, first[0].Count(FileChange.New));

        var remote = await RemoteObjects();
        foreach (var (path, relative) in ScenarioPublisher.LocalFiles(Path.Combine(_scenarios, "base")))
            Assert.Equal(await File.ReadAllBytesAsync(path), remote["base/" + relative]);
        Assert.Equal(5, remote.Count);

        var second = await Publish(["base"], apply: false);
        Assert.False(second[0].HasWrites, second[0].Summary);
        Assert.Equal(5, second[0].Count(FileChange.Unchanged));
    }

    [StackFact]
    public async Task What_jupyter_git_and_the_os_leave_beside_the_inputs_is_never_uploaded()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var inputs = Path.Combine(_scenarios, "base", "inputs");
        foreach (var stray in new[] { ".ipynb_checkpoints/params-checkpoint.json", "road/.ipynb_checkpoints/links-checkpoint.geojson", ".DS_Store", "__pycache__/x.pyc", ".git/HEAD" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(inputs, stray))!);
            await File.WriteAllTextAsync(Path.Combine(inputs, stray), "stray");
        }
        Directory.CreateDirectory(Path.Combine(_scenarios, ".ipynb_checkpoints"));
        var plan = (await Publish(["base"], prune: true))[0];
        Assert.Equal(5, plan.Count(FileChange.New));
        var keys = (await RemoteObjects()).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["base/inputs/params.json", "base/inputs/pt/links.geojson", "base/inputs/pt/nodes.geojson", "base/inputs/road/links.geojson", "base/inputs/road/nodes.geojson"], keys);
    }

    [StackFact]
    public async Task Changing_one_input_uploads_exactly_that_file()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        await Publish(["base"]);
        var paramsFile = Path.Combine(_scenarios, "base", "inputs", "params.json");
        await File.WriteAllTextAsync(paramsFile, (await File.ReadAllTextAsync(paramsFile)).Replace("1.0", "1.5"));
        var plan = (await Publish(["base"]))[0];
        Assert.Equal(["base/inputs/params.json"], plan.Files.Where(f => f.Change != FileChange.Unchanged).Select(f => f.Key));
        Assert.EndsWith("to upload): changed inputs/params.json", plan.Summary); // the dry run and QTZ5010 name the file
        Assert.Equal(FileChange.Changed, plan.Files.Single(f => f.Key == "base/inputs/params.json").Change);
        Assert.Equal(await File.ReadAllBytesAsync(paramsFile), (await RemoteObjects())["base/inputs/params.json"]);
    }

    [StackFact]
    public async Task Pruning_deletes_only_under_the_declared_scenario_and_its_slash()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        Copy("base", "base 1");
        Copy("base", "base copy");
        await Publish(["base", "base 1", "base copy"]);
        File.Delete(Path.Combine(_scenarios, "base", "inputs", "pt", "links.geojson"));
        Directory.Delete(Path.Combine(_scenarios, "base 1"), recursive: true);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "made-in-quenedi/inputs/params.json", ContentBody = "[]" });
        // What a run on AWS and the app wrote in base: no local file matches them, and pruning never deletes them.
        string[] produced = ["base/outputs/road_speed.csv", "base/logs/road_speed.txt", "base/info.json", "base/status.json", "base/styles.json", "base/outputs/deep/x.csv"];
        foreach (var key in produced) await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = "{}" });

        var plans = await Publish(["base"], prune: true);
        Assert.Equal(["base/inputs/pt/links.geojson"], plans[0].Files.Where(f => f.Change == FileChange.Deleted).Select(f => f.Key));
        var remote = await RemoteObjects();
        Assert.DoesNotContain("base/inputs/pt/links.geojson", remote.Keys);
        Assert.All(produced, key => Assert.Contains(key, remote.Keys));
        Assert.Equal(5, remote.Keys.Count(k => k.StartsWith("base 1/", StringComparison.Ordinal)));
        Assert.Equal(5, remote.Keys.Count(k => k.StartsWith("base copy/", StringComparison.Ordinal)));
        Assert.Contains("made-in-quenedi/inputs/params.json", remote.Keys);
    }

    [StackFact]
    public async Task Without_pruning_remote_files_stay()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        await Publish(["base"]);
        File.Delete(Path.Combine(_scenarios, "base", "inputs", "pt", "links.geojson"));
        var plan = (await Publish(["base"]))[0];
        Assert.Equal(0, plan.Count(FileChange.Deleted));
        Assert.Contains("base/inputs/pt/links.geojson", (await RemoteObjects()).Keys);
    }

    [StackFact]
    public async Task A_large_file_goes_up_in_parts_and_is_then_recognised_as_unchanged()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var big = Path.Combine(_scenarios, "base", "inputs", "raster", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        var bytes = new byte[ScenarioPublisher.MultipartThreshold + 12345];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(big, bytes);

        await Publish(["base"]);
        Assert.Equal(bytes, (await RemoteObjects())["base/inputs/raster/big.bin"]);
        var again = (await Publish(["base"], apply: false))[0];
        Assert.Equal(FileChange.Unchanged, again.Files.Single(f => f.Key.EndsWith("big.bin", StringComparison.Ordinal)).Change);
    }

    /// <summary>Every local file written long ago, as a model's networks are by the time they are published.</summary>
    private List<string> SettleFiles(string scenario)
    {
        var files = ScenarioPublisher.LocalFiles(Path.Combine(_scenarios, scenario)).Select(f => f.Path).ToList();
        foreach (var file in files) File.SetLastWriteTimeUtc(file, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        return files;
    }

    /// <summary>Holds every file so that no one may read it (the runtime's file locks): a plan that reads one fails.</summary>
    private static IDisposable Unreadable(IEnumerable<string> files)
    {
        var locks = files.Select(f => new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.None)).ToList();
        return new Disposables(locks);
    }

    private sealed class Disposables(IEnumerable<IDisposable> all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var one in all) one.Dispose();
        }
    }

    [StackFact]
    public async Task After_a_publish_the_next_one_knows_every_file_unchanged_without_reading_it()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        var files = SettleFiles("base");
        var record = _dir.Combine("obj", "scenario-digests.tsv");
        await Publish(["base"], record: record);

        using (Unreadable(files))
        {
            var again = (await Publish(["base"], apply: false, record: record))[0];
            Assert.False(again.HasWrites, again.Summary);
            Assert.Equal(files.Count, again.Count(FileChange.Unchanged));
            // Without the record the same plan must read the files, which the locks refuse: the test can tell.
            await Assert.ThrowsAsync<IOException>(() => Publish(["base"], apply: false));
        }
    }

    [StackFact]
    public async Task With_the_record_a_file_rewritten_in_place_or_an_object_replaced_on_the_server_is_still_published()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        SettleFiles("base");
        var record = _dir.Combine("obj", "scenario-digests.tsv");
        await Publish(["base"], record: record);

        // Same size, other bytes, a later write time.
        var paramsFile = Path.Combine(_scenarios, "base", "inputs", "params.json");
        var text = await File.ReadAllTextAsync(paramsFile);
        await File.WriteAllTextAsync(paramsFile, text.Replace("1.0", "2.0", StringComparison.Ordinal));
        Assert.NotEqual(text, await File.ReadAllTextAsync(paramsFile));
        // Same size on the server, other bytes (Quenedi or another machine wrote it).
        var links = ScenarioPublisher.LocalFiles(Path.Combine(_scenarios, "base")).Single(f => f.Relative == "inputs/pt/links.geojson");
        var length = new FileInfo(links.Path).Length;
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "base/inputs/pt/links.geojson", ContentBody = new string(' ', (int)length) });

        var plan = (await Publish(["base"], record: record))[0];
        Assert.Equal(["base/inputs/params.json", "base/inputs/pt/links.geojson"],
            plan.Files.Where(f => f.Change == FileChange.Changed).Select(f => f.Key).Order(StringComparer.Ordinal));
        var remote = await RemoteObjects();
        foreach (var (path, relative) in ScenarioPublisher.LocalFiles(Path.Combine(_scenarios, "base")))
            Assert.Equal(await File.ReadAllBytesAsync(path), remote["base/" + relative]);
    }

    [StackFact]
    public async Task A_missing_bucket_is_a_coded_error()
    {
        LocalStack.EnsureRunning();
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(["base"]));
        Assert.Equal("QTZ4030", error.Diagnostic.Code);
        Assert.Contains(_bucket, error.Message);
    }
}
