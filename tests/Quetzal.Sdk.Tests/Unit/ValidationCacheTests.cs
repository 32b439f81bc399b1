using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Per-input incrementality: a build reads again only the inputs whose files changed, and keeps the others' findings.</summary>
public sealed class ValidationCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new("vcache");
    private readonly string _model;
    private readonly string _cacheFile;

    public ValidationCacheTests()
    {
        _model = _dir.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, _model);
        _cacheFile = _dir.Combine("validate.cache");
        // A road link naming a node that does not exist: one finding the cache must keep.
        var links = Path.Combine(_model, "scenarios", "base", "inputs", "road", "links.geojson");
        File.WriteAllText(links, File.ReadAllText(links).Replace("\"b\": \"road_node_2\"", "\"b\": \"road_node_9\""));
        Settle();
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Every file of the model written long enough ago to be trusted as finished.</summary>
    private void Settle()
    {
        var past = DateTime.UtcNow.AddMinutes(-5);
        foreach (var file in Directory.EnumerateFiles(_model, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, past);
    }

    private (ValidationResult Result, ValidationCache Cache) Validate()
    {
        var cache = ValidationCache.Load(_cacheFile);
        var result = ModelValidator.Validate(Models.Settings(_model, "quetzal-test", Scenarios.Discover(Path.Combine(_model, "scenarios"))),
            Path.Combine(_model, "m.quetzalproj"), Path.Combine(_model, "obj", "quetzal", "step-functions.json"), default, cache);
        cache.Save();
        return (result, cache);
    }

    [Fact]
    public void An_unchanged_model_reads_no_input_again_and_reports_the_same_findings()
    {
        var (first, cold) = Validate();
        Assert.Contains(first.Diagnostics, d => d.Code == "QTZ1210");
        Assert.Equal((3, 0), (cold.Validated, cold.Reused)); // params.json, the pt network, the road network

        var (second, warm) = Validate();
        Assert.Equal((0, 3), (warm.Validated, warm.Reused));
        Assert.Equal(first.Diagnostics, second.Diagnostics);
    }

    [Fact]
    public void A_changed_nodes_file_re_checks_its_network_and_only_it()
    {
        Validate();
        var nodes = Path.Combine(_model, "scenarios", "base", "inputs", "road", "nodes.geojson");
        File.WriteAllText(nodes, File.ReadAllText(nodes).Replace("road_node_2", "road_node_9"));
        File.SetLastWriteTimeUtc(nodes, DateTime.UtcNow.AddMinutes(-1));
        var (result, cache) = Validate();
        Assert.Equal((1, 2), (cache.Validated, cache.Reused));
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == "QTZ1210"); // the reference now resolves
    }

    [Fact]
    public void A_code_edit_reads_no_network_again_but_still_checks_the_steps_paths()
    {
        Validate();
        File.Delete(Path.Combine(_model, "steps", "loaded_links.py"));
        var (result, cache) = Validate();
        Assert.Equal((0, 3), (cache.Validated, cache.Reused));
        Assert.Contains(result.Diagnostics, d => d.Code == "QTZ2008" && d.Message.Contains("steps/loaded_links.py"));
    }

    [Fact]
    public void A_file_written_just_now_where_the_file_system_keeps_whole_seconds_is_validated_again_next_time()
    {
        // FAT, HFS+ and some shares keep whole seconds: a second write in the same second would look unchanged.
        var paramsFile = Path.Combine(_model, "scenarios", "base", "inputs", "params.json");
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(paramsFile, new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
        Validate();
        var (_, cache) = Validate();
        Assert.Equal((1, 2), (cache.Validated, cache.Reused));
    }

    [Fact]
    public void A_file_written_just_now_with_a_fine_write_time_is_trusted_since_a_later_write_changes_that_time()
    {
        var paramsFile = Path.Combine(_model, "scenarios", "base", "inputs", "params.json");
        File.SetLastWriteTimeUtc(paramsFile, DateTime.UtcNow.AddTicks(-1234567 % TimeSpan.TicksPerSecond));
        Validate();
        var (_, cache) = Validate();
        Assert.Equal((0, 3), (cache.Validated, cache.Reused));
    }
}
