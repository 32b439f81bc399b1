using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Publish;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Model versions against in-memory services: what a release records, rollback and roll forward, retention.</summary>
public sealed class VersionsTests : IDisposable
{
    private const string Name = "quetzal-test";
    private readonly TempDirectory _dir = new("versions");
    private readonly string _model;
    private readonly ListLog _log = new();

    public VersionsTests()
    {
        _model = _dir.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, _model);
        Directory.Delete(Path.Combine(_model, ".template.config"), recursive: true);
    }

    public void Dispose() => _dir.Dispose();

    private PublishRequest Request(Func<PublishRequest, PublishRequest>? change = null)
    {
        var request = TemplateRequest.For(_model, Name) with { UserEmail = "modeller@example.org" };
        return change is null ? request : change(request);
    }

    private Task<PublishPipeline> Publish(FakeAws aws, Func<PublishRequest, PublishRequest>? change = null) => TemplateRequest.PublishAsync(aws, Request(change), _log);

    private void EditStep(string text) => File.AppendAllText(Path.Combine(_model, "steps", "loaded_links.py"), $"\n# {text}\n");

    private static VersionsRequest Versions() => new(new Quetzal.Sdk.Model.ModelResources(Name, Name, Name, Name, Name), false, TimeSpan.FromSeconds(5), "rollback@example.org", ".")
    {
        LambdaWait = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public void A_release_is_recorded_in_a_description_of_at_most_256_characters_and_read_back()
    {
        var date = new DateTimeOffset(2026, 12, 7, 5, 42, 41, TimeSpan.Zero);
        var image = "sha256:" + new string('a', 64);
        var published = new Release(12, date, "a very; long user name " + new string('x', 200), "05945e7+", image);
        var text = published.Describe();
        Assert.True(text.Length <= 256, text);
        Assert.StartsWith("v12 published 2026-12-07T05:42:41Z by a_very_long_user_name_", text);
        var read = Release.Parse(text)!;
        Assert.Equal((12, date, "05945e7+", image, (int?)null), (read.Number, read.Date, read.Commit, read.Image, read.RolledBackFrom));

        var rollback = Release.Parse(new Release(9, date, "b@example.org", null, image, 12).Describe())!;
        Assert.Equal((9, 12, "b@example.org", (string?)null), (rollback.Number, rollback.RolledBackFrom, rollback.User, rollback.Commit));
        Assert.Null(Release.Parse("a version somebody published by hand"));
        Assert.Null(Release.Parse(null));
    }

    [Fact]
    public async Task Each_publish_that_changes_code_is_the_next_version_and_a_rollback_points_back_without_building()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws);
        var v1Definition = aws.StateMachines[Name].Definition;
        EditStep("v2");
        await Publish(aws);
        Assert.Equal($"registry.local/{Name}:v2", aws.Functions[Name].ImageUri);
        Assert.Contains($":function:{Name}:2\"", aws.StateMachines[Name].Definition);

        var versions = new ModelVersions(aws, _log);
        var rows = await versions.ListAsync(Versions(), default);
        Assert.Equal(["v2", "v1"], rows.Select(r => r.Entry.Release!.Tag));
        Assert.Equal([true, false], rows.Select(r => r.Current));
        Assert.Contains(ModelVersions.Table(rows), l => l.StartsWith("* v2 ", StringComparison.Ordinal) && l.Contains("modeller@example.org") && l.EndsWith("published"));

        // A dry run says what it would change and changes nothing.
        aws.Writes.Clear();
        var plan = await versions.RollbackAsync(Versions(), 1, dryRun: true, default);
        Assert.Empty(aws.Writes);
        Assert.Contains(plan, l => l.StartsWith($"Lambda: would point {Name} at registry.local/{Name}:v1", StringComparison.Ordinal));

        // The rollback: no build, no push; $LATEST shows v1 (what Quenedi reads), runs get v1's definition (Lambda version 1).
        var done = await versions.RollbackAsync(Versions(), 1, dryRun: false, default);
        Assert.DoesNotContain(aws.Writes, w => w.StartsWith("docker:", StringComparison.Ordinal) || w.StartsWith("registry:", StringComparison.Ordinal));
        Assert.Equal($"registry.local/{Name}:v1", aws.Functions[Name].ImageUri);
        Assert.Equal(v1Definition, aws.StateMachines[Name].Definition);
        Assert.Contains(done, l => l.StartsWith("Version: v1 is current (current: v2), in ", StringComparison.Ordinal));
        var record = aws.StateMachineVersions[Name][^1];
        Assert.StartsWith("v1 rollback from v2 ", record.Description);
        Assert.Contains("by rollback@example.org", record.Description);
        Assert.Equal("v1", (await versions.ListAsync(Versions(), default)).Single(r => r.Current).Entry.Release!.Tag);

        // Rolled forward the same way; rolling to the current version changes nothing.
        await versions.RollbackAsync(Versions(), 2, dryRun: false, default);
        Assert.Equal($"registry.local/{Name}:v2", aws.Functions[Name].ImageUri);
        aws.Writes.Clear();
        Assert.Equal(["Version: v2 is current already; nothing to change"], await versions.RollbackAsync(Versions(), 2, dryRun: false, default));
        Assert.Empty(aws.Writes);

        // The next publish that changes code is v3: numbers only go up.
        EditStep("v3");
        await Publish(aws);
        Assert.Equal($"registry.local/{Name}:v3", aws.Functions[Name].ImageUri);
    }

    [Fact]
    public async Task A_rollback_to_a_version_that_is_not_there_or_lost_its_image_changes_nothing_and_says_why()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        var versions = new ModelVersions(aws, _log);
        var none = await Assert.ThrowsAsync<QuetzalException>(() => versions.RollbackAsync(Versions(), 1, false, default));
        Assert.Equal("QTZ4080", none.Diagnostic.Code);
        Assert.Contains("no versions yet", none.Diagnostic.Message);

        await Publish(aws);
        EditStep("v2");
        await Publish(aws);
        var missing = await Assert.ThrowsAsync<QuetzalException>(() => versions.RollbackAsync(Versions(), 7, false, default));
        Assert.Equal("QTZ4080", missing.Diagnostic.Code);
        Assert.Contains("its versions are v2, v1", missing.Diagnostic.Message);

        // Somebody deleted v1's image in the console.
        var v1 = Release.Parse(aws.StateMachineVersions[Name][0].Description)!;
        foreach (var tag in aws.Registry_[Name].Where(t => t.Value.Digest == v1.Image).Select(t => t.Key).ToList()) aws.Registry_[Name].Remove(tag);
        aws.Writes.Clear();
        var lost = await Assert.ThrowsAsync<QuetzalException>(() => versions.RollbackAsync(Versions(), 1, false, default));
        Assert.Equal("QTZ4081", lost.Diagnostic.Code);
        Assert.Contains($"its image registry.local/{Name}@{v1.Image} is not in the repository", lost.Diagnostic.Message);
        Assert.Empty(aws.Writes);
        Assert.Equal($"registry.local/{Name}:v2", aws.Functions[Name].ImageUri);
    }

    [Fact]
    public async Task Retention_removes_older_versions_whole_and_keeps_what_the_current_one_needs()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws, r => r with { VersionsToKeep = 2 });
        EditStep("v2");
        await Publish(aws, r => r with { VersionsToKeep = 2 });
        EditStep("v3");
        var third = await Publish(aws, r => r with { VersionsToKeep = 2 });
        // v1 went: its state machine version, its Lambda version and its image.
        Assert.Equal([2, 3], aws.StateMachineVersions[Name].Select(v => v.Number));
        Assert.Equal(["2", "3"], aws.FunctionVersions[Name].Select(v => v.Version));
        Assert.DoesNotContain("v1", aws.Registry_[Name].Keys);
        Assert.Contains("v2", aws.Registry_[Name].Keys);
        Assert.Contains(third.Summary, l => l.StartsWith("Versions: removed v1 (keeping 2): 1 state machine versions, 1 Lambda versions, 0 task definition revisions, 1 images", StringComparison.Ordinal));

        // After a rollback to v2 and a new version v4, the two newest numbers are v4 and v3; v2 (and its rollback
        // record) is neither among them nor current any more: it goes, with the Lambda version only it named.
        var versions = new ModelVersions(aws, _log);
        await versions.RollbackAsync(Versions(), 2, false, default);
        Assert.Equal($"registry.local/{Name}:v2", aws.Functions[Name].ImageUri);
        EditStep("v4");
        await Publish(aws, r => r with { VersionsToKeep = 2 });
        Assert.Equal(["v4", "v3"], (await versions.ListAsync(Versions(), default)).Select(r => r.Entry.Release!.Tag));
        Assert.Equal(["3", "4"], aws.FunctionVersions[Name].Select(v => v.Version));
    }

    [Fact]
    public async Task A_no_op_publish_makes_no_version_and_info_json_keeps_the_deployed_versions_tag()
    {
        var aws = new FakeAws().WithInfrastructure(Name);
        await Publish(aws);
        // A scenario's description changes (its info.json is written): nothing that runs changes.
        aws.Writes.Clear();
        var second = await Publish(aws, r => r with { Descriptions = new Dictionary<string, string> { ["base"] = "Base 2026" } });
        Assert.Contains("s3:PutObject base/info.json", aws.Writes);
        Assert.True(aws.StateMachineVersions[Name].Count == 1, string.Join("\n", second.Summary));
        Assert.DoesNotContain(aws.Writes, w => w.StartsWith("lambda:", StringComparison.Ordinal) || w.StartsWith("states:", StringComparison.Ordinal));
        var info = JsonNode.Parse(aws.Objects[$"{Name}/base/info.json"])!;
        Assert.Equal("v1", (string?)info["model_tag"]);
    }
}
