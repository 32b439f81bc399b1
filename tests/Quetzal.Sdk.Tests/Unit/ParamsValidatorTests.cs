using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class ParamsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("params");

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<Diagnostic> Validate(string content)
    {
        var bag = new DiagnosticBag();
        ParamsValidator.Validate(_dir.Write("params.json", content), bag);
        return bag.Items;
    }

    [Fact]
    public void The_template_params_pass()
    {
        var bag = new DiagnosticBag();
        Assert.NotNull(ParamsValidator.Validate(Path.Combine(Repository.TemplateContent, "scenarios", "base", "inputs", "params.json"), bag));
        Assert.Empty(bag.Items);
    }

    [Fact]
    public void Invalid_json_gives_line_and_column()
    {
        var error = Assert.Single(Validate("[\n  {\"category\": \"a\",\n   \"params\": [}\n]"));
        Assert.Equal("QTZ1201", error.Code);
        Assert.Equal(3, error.Line);
        Assert.Equal(15, error.Column);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_invalid_json()
    {
        var path = Path.Combine(_dir.Path, "params.json");
        File.WriteAllBytes(path, [.. "[{\"category\":\"g\",\n\"params\":[{\"name\":\"caf"u8, 0xE9, .. "\",\"value\":1}]}]"u8]);
        var bag = new DiagnosticBag();
        Assert.Null(ParamsValidator.Validate(path, bag));
        var error = Assert.Single(bag.Items);
        Assert.Equal("QTZ1201", error.Code);
        Assert.Contains("not valid UTF-8", error.Message);
        Assert.Equal(2, error.Line);
    }

    /// <summary>A file as today's Quenedi writes it: info and variants entries, a model given as a list, $scenarios items, #VAR names.</summary>
    private const string AsTheAppWritesIt = """
        [
          {"info": "Parameters of the Lyon model", "model": ["default", "with-transit"]},
          {"variants": ["am"], "choices": ["am", "pm", "night"], "multiple": true, "label": "Periods"},
          {"category": "general", "info": "Demand", "params": [
            {"name": "demand_factor", "text": "Demand factor", "value": 1.25, "type": "Number", "precision": 2, "units": "", "hint": "x", "rules": ["required"]},
            {"name": "reference", "text": "Reference scenario", "value": "base", "type": "String", "items": "$scenarios"},
            {"name": "periods", "text": "Periods", "value": ["am", "pm"], "type": "String", "multiple": true, "items": ["am", "pm", "night"]},
            {"name": "speed#VAR", "text": "Speed by period", "value": 30, "type": "Number"},
            {"name": "toll", "text": "Toll", "value": true, "type": "Boolean"}
          ]},
          {"category": "transit", "model": "with-transit", "params": [{"name": "headway", "text": "Headway", "value": 600}]},
          {"variants": ["am"], "choices": ["am", "pm"], "model": "with-transit"}
        ]
        """;

    [Fact]
    public void A_file_as_the_app_writes_it_today_builds_clean()
        => Assert.Empty(Validate(AsTheAppWritesIt));

    [Fact]
    public void An_object_instead_of_a_list_is_refused_at_the_root()
    {
        var error = Assert.Single(Validate("{}"));
        Assert.Equal("QTZ1301", error.Code);
        Assert.Contains("params.json at $: expected a list of categories, info and variants entries, found an object", error.Message);
    }

    [Fact]
    public void A_parameter_without_name_is_refused_with_its_json_path_and_position()
    {
        var error = Assert.Single(Validate("[{\"category\":\"general\",\"params\":[{\"name\":\"a\",\"value\":1},\n {\"value\":2}]}]"));
        Assert.Equal("QTZ1301", error.Code);
        Assert.Contains("$[0].params[1]: the parameter has no 'name'", error.Message);
        Assert.Equal(2, error.Line);
        Assert.Equal(2, error.Column);
    }

    [Fact]
    public void A_parameter_without_value_is_refused()
        => Assert.Contains("$[0].params[0]: the parameter has no 'value'", Assert.Single(Validate("[{\"category\":\"c\",\"params\":[{\"name\":\"a\"}]}]")).Message);

    [Theory]
    [InlineData("[{\"category\":\"c\",\"params\":[]},{\"category\":\"d\"}]", "$[1]: a category needs both 'category' and 'params'; this one has no 'params'")]
    [InlineData("[{\"params\":[]}]", "$[0]: a category needs both 'category' and 'params'; this one has no 'category'")]
    [InlineData("[{\"label\":\"x\"}]", "$[0]: this is neither a category")]
    [InlineData("[5]", "$[0]: expected a category, an info entry or a variants entry")]
    public void What_the_app_refuses_is_refused(string content, string message)
    {
        var error = Assert.Single(Validate(content));
        Assert.Equal("QTZ1301", error.Code);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("{\"name\":\"a\",\"value\":1,\"type\":\"Integer\"}", "$[0].params[0].type: 'Integer' is not a type the app knows")]
    [InlineData("{\"name\":\"a\",\"value\":\"1\",\"type\":\"Number\"}", "$[0].params[0].value: the type is Number but the value is a string: write 1 without quotes, or the step reads the text \"1\"")]
    [InlineData("{\"name\":\"a\",\"value\":\"1,35\",\"type\":\"Number\"}", "the type is Number but the value is a string: write 1.35, with a point and without quotes (JSON has no decimal comma)")]
    [InlineData("{\"name\":\"a\",\"value\":\"false\",\"type\":\"Boolean\"}", "the type is Boolean but the value is a string: write false without quotes; Python takes any text that is not empty, \"false\" too, for true")]
    [InlineData("{\"name\":\"a\",\"value\":\"True\",\"type\":\"Boolean\"}", "value is a string: write true without quotes")]
    [InlineData("{\"name\":\"a\",\"value\":\"fast\",\"type\":\"Number\"}", "the type is Number but the value is a string.")]
    [InlineData("{\"name\":\"a\",\"value\":[1, \"x\"],\"type\":\"Number\",\"multiple\":true}", "the type is Number but the value is a string")]
    [InlineData("{\"name\":\"a\",\"value\":1,\"items\":\"scenarios\"}", "$[0].params[0].items: expected a list of choices or \"$scenarios\"")]
    [InlineData("{\"name\":\"a#VAR\",\"value\":1}", "'a#VAR' is a per-variant parameter (#VAR), but the workflow 'default' has no variants entry")]
    public void What_the_app_loads_but_would_misread_is_a_warning_with_its_path(string parameter, string message)
    {
        var warning = Assert.Single(Validate($"[{{\"category\":\"c\",\"params\":[{parameter}]}}]"));
        Assert.Equal(("QTZ1302", Severity.Warning), (warning.Code, warning.Severity));
        Assert.Contains(message, warning.Message);
    }

    [Fact]
    public void Variants_that_are_not_among_their_choices_are_a_warning()
    {
        var warning = Assert.Single(Validate("[{\"variants\":[\"am\",\"noon\"],\"choices\":[\"am\",\"pm\"]},{\"category\":\"c\",\"params\":[]}]"));
        Assert.Equal("QTZ1302", warning.Code);
        Assert.Contains("$[0].variants[1]: 'noon' is not one of the choices (am, pm)", warning.Message);
    }

    [Fact]
    public void A_name_used_twice_in_a_category_is_a_warning()
        => Assert.Contains("already used", Assert.Single(Validate("[{\"category\":\"c\",\"params\":[{\"name\":\"a\",\"value\":1},{\"name\":\"a\",\"value\":2}]}]"), d => d.Code == "QTZ1302").Message);

    [Fact]
    public void Wrong_member_types_are_warnings_with_their_paths()
    {
        var diagnostics = Validate("[{\"category\":5,\"params\":[{\"name\":\"a\",\"value\":1,\"rules\":\"required\",\"text\":[]}]}]");
        Assert.All(diagnostics, d => Assert.Equal("QTZ1302", d.Code));
        Assert.Equal(["$[0].category", "$[0].params[0].rules", "$[0].params[0].text"], diagnostics.Select(d => d.Message.Split(' ')[2].TrimEnd(':')).Order());
    }

    [Theory]
    [InlineData("default", "{\"general\":{\"demand_factor\":1.25,\"reference\":\"base\",\"periods\":[\"am\",\"pm\"],\"speed#VAR\":30,\"toll\":true}}", "[\"am\"]")]
    [InlineData("with-transit", "{\"transit\":{\"headway\":600}}", "[\"am\"]")]
    public void The_local_runs_default_input_follows_the_apps_rules_for_the_chosen_workflow(string workflow, string parameters, string variants)
    {
        var (values, chosen) = Quetzal.Sdk.Workflow.LocalRun.AppInput(System.Text.Json.Nodes.JsonNode.Parse(AsTheAppWritesIt)!.AsArray(), workflow);
        Assert.Equal(parameters, values.ToJsonString());
        Assert.Equal(variants, chosen?.ToJsonString());
    }
}
