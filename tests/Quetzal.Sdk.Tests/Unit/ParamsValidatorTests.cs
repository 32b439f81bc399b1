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

    [Fact]
    public void An_object_instead_of_a_list_is_reported_at_the_root()
        => Assert.Contains("params.json at $: expected a list of categories, found an object", Assert.Single(Validate("{}")).Message);

    [Fact]
    public void A_parameter_without_name_is_reported_with_its_json_path_and_position()
    {
        var error = Assert.Single(Validate("[{\"category\":\"general\",\"params\":[{\"name\":\"a\",\"value\":1},\n {\"value\":2}]}]"));
        Assert.Equal("QTZ1301", error.Code);
        Assert.Contains("$[0].params[1]: the parameter has no 'name'", error.Message);
        Assert.Equal(2, error.Line);
        Assert.Equal(2, error.Column);
    }

    [Fact]
    public void A_parameter_without_value_is_reported()
        => Assert.Contains("$[0].params[0]: the parameter has no 'value'", Assert.Single(Validate("[{\"category\":\"c\",\"params\":[{\"name\":\"a\"}]}]")).Message);

    [Fact]
    public void A_category_without_params_is_reported()
        => Assert.Contains("$[1]: the category has no 'params' list", Assert.Single(Validate("[{\"category\":\"c\",\"params\":[]},{\"category\":\"d\"}]")).Message);

    [Fact]
    public void A_name_used_twice_in_a_category_is_reported()
        => Assert.Contains("already used", Assert.Single(Validate("[{\"category\":\"c\",\"params\":[{\"name\":\"a\",\"value\":1},{\"name\":\"a\",\"value\":2}]}]")).Message);

    [Fact]
    public void Wrong_member_types_are_reported()
    {
        var diagnostics = Validate("[{\"category\":5,\"params\":[{\"name\":\"a\",\"value\":1,\"rules\":\"required\",\"text\":[]}]}]");
        Assert.Equal(["$[0].category", "$[0].params[0].rules", "$[0].params[0].text"], diagnostics.Select(d => d.Message.Split(' ')[2].TrimEnd(':')).Order());
    }
}
