using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class ModelValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("model");
    private readonly string _model;

    public ModelValidatorTests()
    {
        _model = _dir.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, _model);
    }

    public void Dispose() => _dir.Dispose();

    private ModelSettings Settings => Models.Settings(_model, "quetzal-test", Scenarios.Discover(Path.Combine(_model, "scenarios")));

    private string Generated => Path.Combine(_model, "obj", "quetzal", "step-functions.json");

    private ValidationResult Validate(ModelSettings settings)
        => ModelValidator.Validate(settings, Path.Combine(_model, "m.quetzalproj"), Generated);

    private static string[] Codes(ValidationResult result) => result.Diagnostics.Select(d => d.Code).ToArray();

    [Fact]
    public void A_hidden_folder_under_scenarios_is_no_scenario()
    {
        Directory.CreateDirectory(Path.Combine(_model, "scenarios", ".ipynb_checkpoints"));
        Directory.CreateDirectory(Path.Combine(_model, "scenarios", "__pycache__"));
        Assert.Equal(["base"], Scenarios.Discover(Path.Combine(_model, "scenarios")));
    }

    [Fact]
    public void The_template_model_is_valid()
    {
        var result = Validate(Settings);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Settings_errors_each_have_their_code()
    {
        var result = Validate(Settings with
        {
            ModelName = "Bad_Name", MemorySize = "64", Timeout = "901", StorageSize = "lots", Region = "moon", ImageTag = "-x",
            FunctionName = "has.dot", StateMachineName = "has space", RepositoryName = "UP", BucketName = "b",
        });
        Assert.Equal(["QTZ1001", "QTZ1002", "QTZ1003", "QTZ1004", "QTZ1005", "QTZ1006", "QTZ1006", "QTZ1006", "QTZ1007", "QTZ1008"], Codes(result).Order());
        Assert.Contains(result.Diagnostics, d => d.Message.StartsWith("QuetzalLambdaMemorySize is '64'; it must be a whole number from 128 to 10240"));
    }

    [Fact]
    public void Names_derived_from_an_invalid_model_name_give_one_error()
        => Assert.Equal(["QTZ1001"], Codes(Validate(Settings with { ModelName = "Bad", BucketName = "Bad", RepositoryName = "Bad", FunctionName = "Bad", StateMachineName = "Bad" })));

    [Fact]
    public void A_model_without_base_is_an_error()
    {
        Directory.Move(Path.Combine(_model, "scenarios", "base"), Path.Combine(_model, "scenarios", "other"));
        var error = Assert.Single(Validate(Settings).Diagnostics);
        Assert.Equal("QTZ1101", error.Code);
        Assert.Contains(Path.Combine("scenarios", "base"), error.Message);
    }

    [Fact]
    public void Scenarios_are_ordered_base_first_then_as_declared()
    {
        foreach (var name in new[] { "zeta", "alpha" })
            TempDirectory.CopyDirectory(Path.Combine(_model, "scenarios", "base"), Path.Combine(_model, "scenarios", name));
        var result = Validate(Settings with { Scenarios = ["zeta", "base", "alpha"] });
        Assert.Empty(result.Diagnostics);
        Assert.Equal(["base", "zeta", "alpha"], result.Scenarios);
    }

    [Fact]
    public void Unsafe_and_missing_scenarios_are_reported()
    {
        var result = Validate(Settings with { Scenarios = ["base", "../escape", "ghost", "base"] });
        Assert.Equal(["QTZ1102", "QTZ1103", "QTZ1105"], Codes(result).Order());
    }

    [Fact]
    public void A_missing_required_input_names_the_scenario_the_file_and_the_way_out()
    {
        File.Delete(Path.Combine(_model, "scenarios", "base", "inputs", "pt", "links.geojson"));
        var error = Assert.Single(Validate(Settings).Diagnostics);
        Assert.Equal("QTZ1104", error.Code);
        Assert.Contains("Scenario 'base' lacks 'inputs/pt/links.geojson'", error.Message);
        Assert.Contains("<QuetzalNetwork Remove=\"pt\" />", error.Message);
    }

    [Fact]
    public void A_road_only_model_does_not_need_pt_files()
    {
        Directory.Delete(Path.Combine(_model, "scenarios", "base", "inputs", "pt"), recursive: true);
        // The template's workflow reads pt too: that is the model's business, not the validator's.
        Assert.Empty(Validate(Settings with { Networks = [Network.Road] }).Diagnostics);
    }

    [Fact]
    public void Unknown_networks_are_reported() => Assert.Contains("QTZ1106", Codes(Validate(Settings with { Networks = ["road", "metro"] })));

    [Fact]
    public void Without_a_state_machine_file_the_steps_make_one_and_validation_reads_it()
    {
        File.Delete(Path.Combine(_model, "step-functions.json"));
        Step[] steps = [new Step("steps/network_summary.py", "summary"), new Step("steps/loaded_links.py", "loaded")];
        LinearWorkflow.Write(steps, Generated);
        Assert.Contains("\"StartAt\": \"summary\"", File.ReadAllText(Generated));
        Assert.Empty(Validate(Settings with { Steps = steps }).Diagnostics);

        // Validation reads the generated workflow; it never writes it.
        File.WriteAllText(Generated, "{\"StartAt\": \"summary\", \"States\": {}}");
        var stamp = File.GetLastWriteTimeUtc(Generated);
        Assert.Contains("QTZ2003", Codes(Validate(Settings with { Steps = steps })));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Generated));
    }

    [Fact]
    public void Without_a_state_machine_file_or_steps_there_is_no_workflow()
    {
        File.Delete(Path.Combine(_model, "step-functions.json"));
        Assert.Equal(["QTZ2001"], Codes(Validate(Settings)));
    }

    [Fact]
    public void Steps_beside_a_state_machine_file_are_ignored_with_a_warning()
        => Assert.Equal(["QTZ2009"], Codes(Validate(Settings with { Steps = [new Step("steps/loaded_links.py", "x")] })));

    [Fact]
    public void Steps_must_name_model_files_and_distinct_states()
    {
        File.Delete(Path.Combine(_model, "step-functions.json"));
        var result = Validate(Settings with { Steps = [new Step("steps/nope.py", "a"), new Step("steps/loaded_links.py", "a")] });
        Assert.Contains(result.Diagnostics, d => d.Code == "QTZ2010" && d.Message.Contains("no such file"));
        Assert.Contains(result.Diagnostics, d => d.Code == "QTZ2010" && d.Message.Contains("already used"));
    }

    [Fact]
    public void A_missing_library_path_is_reported() => Assert.Equal(["QTZ3002"], Codes(Validate(Settings with { LibraryPath = "../no-such-quetzal" })));

    [Fact]
    public void A_scenario_linked_to_outside_the_model_is_refused()
    {
        var outside = _dir.Combine("elsewhere");
        TempDirectory.CopyDirectory(Path.Combine(_model, "scenarios", "base"), outside);
        Directory.CreateSymbolicLink(Path.Combine(_model, "scenarios", "linked"), outside);
        var result = Validate(Settings);
        Assert.Equal(["QTZ1107"], Codes(result));
    }

    [Fact]
    public void An_input_file_linked_to_outside_the_model_is_refused()
    {
        var links = Path.Combine(_model, "scenarios", "base", "inputs", "road", "links.geojson");
        var outside = _dir.Write("secret.geojson", File.ReadAllText(links));
        File.Delete(links);
        File.CreateSymbolicLink(links, outside);
        Assert.Equal(["QTZ1107"], Codes(Validate(Settings)));
    }

    [Fact]
    public void Errors_in_several_files_come_in_a_stable_order()
    {
        var road = Path.Combine(_model, "scenarios", "base", "inputs", "road", "links.geojson");
        var pt = Path.Combine(_model, "scenarios", "base", "inputs", "pt", "links.geojson");
        File.WriteAllText(road, "{");
        File.WriteAllText(pt, "{");
        var first = Validate(Settings).Diagnostics.Select(d => d.File ?? "").ToArray();
        for (var i = 0; i < 5; i++) Assert.Equal(first, Validate(Settings).Diagnostics.Select(d => d.File ?? "").ToArray());
        Assert.Equal([pt, road], first);
    }

    [Fact]
    public void A_missing_params_file_says_what_it_is_for_and_suggests_no_network_item()
    {
        File.Delete(Path.Combine(_model, "scenarios", "base", "inputs", "params.json"));
        var d = Assert.Single(Validate(Settings).Diagnostics, d => d.Code == "QTZ1104");
        Assert.Equal("Scenario 'base' lacks 'inputs/params.json', which Quenedi needs. Every scenario needs one: Quenedi reads and edits the scenario's parameters there (a JSON list of categories; [] for a model without parameters).", d.Message);
        Assert.DoesNotContain("QuetzalNetwork", d.Message);
    }

    [Fact]
    public void A_trailing_comma_in_a_network_or_params_file_is_said_in_a_users_terms()
    {
        var nodes = Path.Combine(_model, "scenarios", "base", "inputs", "road", "nodes.geojson");
        var text = File.ReadAllText(nodes).TrimEnd();
        File.WriteAllText(nodes, text[..text.LastIndexOf(']')].TrimEnd() + ",\n]}\n");
        var paramsFile = Path.Combine(_model, "scenarios", "base", "inputs", "params.json");
        File.WriteAllText(paramsFile, "[\n  {\"category\": \"c\", \"params\": [],}\n]\n");
        var errors = Validate(Settings).Diagnostics.Where(d => d.Code == "QTZ1201").ToList();
        Assert.Contains(errors, d => d.File == nodes && d.Message.Contains("a trailing comma before ']'") && d.Line > 0);
        Assert.Contains(errors, d => d.File == paramsFile && d.Message.Contains("a trailing comma before '}'") && d.Line == 2);
        Assert.All(errors, d => Assert.DoesNotContain("reader options", d.Message));
    }

    [Fact]
    public void A_scenario_folder_whose_name_ends_with_a_space_is_named_as_the_problem()
    {
        // MSBuild drops the space from the item the folder makes: 'peak-hour' is declared, 'peak-hour ' is on disk.
        TempDirectory.CopyDirectory(Path.Combine(_model, "scenarios", "base"), Path.Combine(_model, "scenarios", "peak-hour "));
        var d = Assert.Single(Validate(Settings with { Scenarios = ["base", "peak-hour"] }).Diagnostics);
        Assert.Equal("QTZ1103", d.Code);
        Assert.EndsWith("A folder 'peak-hour ' is there, with white space at the end of its name, which MSBuild drops from item names: rename the folder 'peak-hour'.", d.Message);
    }

    [Fact]
    public void A_scenario_is_found_by_its_name_in_either_unicode_form_and_keys_use_the_composed_one()
    {
        var decomposed = "sce\u0301nario 3";
        var composed = "sc\u00e9nario 3";
        Assert.Equal(decomposed, Scenarios.Find(["base", decomposed], composed));
        Assert.Equal(decomposed, Scenarios.Select(["base", decomposed], composed, "QuetzalScenarios").Single());
        Assert.Equal(composed, Scenarios.Key(decomposed));
        Assert.Null(Scenarios.Find(["base"], composed));
    }

    /// <summary>The base scenario as Quenedi writes one today: styles, info, an OD layer, a model config, today's params.json.</summary>
    private void LayOutAsTheAppWritesIt()
    {
        var scenario = Path.Combine(_model, "scenarios", "base");
        File.WriteAllText(Path.Combine(scenario, "styles.json"), """[{"name": "volumes", "layer": "links", "displaySettings": {}}]""");
        File.WriteAllText(Path.Combine(scenario, "info.json"), """{"description": "Base 2024", "model_tag": "q-1a2b", "last_modified_date": "2026-11-30T10:00:00Z", "last_modified_email": "a@b.org"}""");
        Directory.CreateDirectory(Path.Combine(scenario, "inputs", "od"));
        File.WriteAllText(Path.Combine(scenario, "inputs", "od", "od.geojson"), """{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"volume": 3}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}""");
        File.WriteAllText(Path.Combine(scenario, "inputs", "modelConfig.json"), """{"version":0,"attributesChoices":{"links":{},"road_links":{"oneway":["0","1"]}},"units":{}}""");
        File.WriteAllText(Path.Combine(scenario, "inputs", "params.json"), """
            [{"info": "Lyon", "model": ["default"]}, {"variants": ["am"], "choices": ["am", "pm"]},
             {"category": "general", "params": [{"name": "demand_factor", "text": "Demand", "value": 1.0, "type": "Number", "items": "$scenarios"}]}]
            """);
    }

    [Fact]
    public void A_scenario_laid_out_as_the_app_writes_it_builds_clean()
    {
        LayOutAsTheAppWritesIt();
        Assert.Empty(Validate(Settings).Diagnostics);
    }

    [Theory]
    [InlineData("styles.json", "[{\"name\": \"volumes\"}]", "QTZ1303", "styles.json at $[0]: the style has no 'layer'")]
    [InlineData("styles.json", "{}", "QTZ1303", "expected a list of styles")]
    [InlineData("info.json", "[]", "QTZ1304", "info.json at $: expected an object")]
    [InlineData("info.json", "{\"description\": 3}", "QTZ1304", "info.json at $.description: expected text")]
    [InlineData("inputs/od/od.geojson", "{\"type\": \"Feature\", \"features\": []}", "QTZ1203", "its type is 'Feature'")]
    [InlineData("inputs/od/od.geojson", "{\"type\": \"FeatureCollection\", \"features\": [1]}", "QTZ1203", "is not a Feature object")]
    [InlineData("inputs/od/od.geojson", "{\"type\": \"FeatureCollection\", \"features\": [", "QTZ1201", "truncated")]
    [InlineData("inputs/modelConfig.json", "{\"version\": 0,}", "QTZ1201", "trailing comma")]
    public void Each_file_the_app_reads_is_checked_when_present(string file, string content, string code, string message)
    {
        LayOutAsTheAppWritesIt();
        var path = Path.Combine(_model, "scenarios", "base", file);
        File.WriteAllText(path, content);
        var d = Assert.Single(Validate(Settings).Diagnostics);
        Assert.Equal(code, d.Code);
        Assert.Equal(path, d.File);
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void A_scenario_folder_named_common_is_refused()
    {
        TempDirectory.CopyDirectory(Path.Combine(_model, "scenarios", "base"), Path.Combine(_model, "scenarios", "_common"));
        Assert.Equal(["QTZ1305"], Codes(Validate(Settings with { Scenarios = ["base", "_common"] })));
    }
}
