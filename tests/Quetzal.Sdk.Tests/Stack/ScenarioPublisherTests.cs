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

    private async Task<IReadOnlyList<ScenarioPlan>> Publish(IReadOnlyList<string> scenarios, bool prune = false, bool apply = true)
    {
        using var publisher = new ScenarioPublisher(_settings, NullPublishLog.Instance);
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
    public async Task Changing_one_input_uploads_exactly_that_file()
    {
        LocalStack.EnsureRunning();
        await _s3.PutBucketAsync(_bucket);
        await Publish(["base"]);
        var paramsFile = Path.Combine(_scenarios, "base", "inputs", "params.json");
        await File.WriteAllTextAsync(paramsFile, (await File.ReadAllTextAsync(paramsFile)).Replace("1.0", "1.5"));
        var plan = (await Publish(["base"]))[0];
        Assert.Equal(["base/inputs/params.json"], plan.Files.Where(f => f.Change != FileChange.Unchanged).Select(f => f.Key));
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

        var plans = await Publish(["base"], prune: true);
        Assert.Equal(["base/inputs/pt/links.geojson"], plans[0].Files.Where(f => f.Change == FileChange.Deleted).Select(f => f.Key));
        var remote = await RemoteObjects();
        Assert.DoesNotContain("base/inputs/pt/links.geojson", remote.Keys);
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

    [StackFact]
    public async Task A_missing_bucket_is_a_coded_error()
    {
        LocalStack.EnsureRunning();
        var error = await Assert.ThrowsAsync<QuetzalException>(() => Publish(["base"]));
        Assert.Equal("QTZ4030", error.Diagnostic.Code);
        Assert.Contains(_bucket, error.Message);
    }
}
