using Quetzal.Sdk.Validation;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData("quetzal-paris")]
    [InlineData("abc")]
    [InlineData("a1-b2-c3")]
    public void Valid_bucket_names_pass(string name) => Assert.Null(NameRules.BucketName(name));

    [Theory]
    [InlineData("ab", "not 3 to 63")]
    [InlineData("Quetzal", "uppercase")]
    [InlineData("quetzal_paris", "'_'")]
    [InlineData("quetzal.paris", "'.'")]
    [InlineData("-quetzal", "start and end")]
    [InlineData("quetzal-", "start and end")]
    [InlineData("192.168.1.1", "'.'")]
    [InlineData("xn--paris", "prefix")]
    [InlineData("paris-s3alias", "suffix")]
    public void Invalid_bucket_names_say_why(string name, string reason) => Assert.Contains(reason, NameRules.BucketName(name));

    [Fact]
    public void A_64_character_bucket_name_is_too_long() => Assert.NotNull(NameRules.BucketName(new string('a', 64)));

    [Theory]
    [InlineData("quetzal-paris", true)]
    [InlineData("team/quetzal_paris.v2", true)]
    [InlineData("Quetzal", false)]
    [InlineData("a", false)]
    [InlineData("a--b", false)]
    public void Repository_names_follow_ecr(string name, bool valid) => Assert.Equal(valid, NameRules.RepositoryName(name) is null);

    [Theory]
    [InlineData("quetzal-paris_2", true)]
    [InlineData("Quetzal", true)]
    [InlineData("quetzal.paris", false)]
    public void Function_names_follow_lambda(string name, bool valid) => Assert.Equal(valid, NameRules.FunctionName(name) is null);

    [Theory]
    [InlineData("quetzal-paris", true)]
    [InlineData("quetzal paris", false)]
    [InlineData("quetzal:paris", false)]
    [InlineData("quetzal{paris}", false)]
    public void State_machine_names_follow_step_functions(string name, bool valid) => Assert.Equal(valid, NameRules.StateMachineName(name) is null);

    [Theory]
    [InlineData("base", null)]
    [InlineData("base 1", null)]
    [InlineData("peak-hour 2030", null)]
    [InlineData("a/b", "separator")]
    [InlineData("a\\b", "separator")]
    [InlineData("..", "'..'")]
    [InlineData("a..b", "'..'")]
    [InlineData(" base", "white space")]
    [InlineData("base ", "white space")]
    [InlineData("ba\tse", "control")]
    [InlineData("", "empty")]
    public void Scenario_names_must_be_safe_prefixes(string name, string? reason)
    {
        var problem = NameRules.ScenarioName(name);
        if (reason is null) Assert.Null(problem);
        else Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData("128", true)]
    [InlineData("10240", true)]
    [InlineData("127", false)]
    [InlineData("10241", false)]
    [InlineData("4016.5", false)]
    [InlineData("-1", false)]
    [InlineData("lots", false)]
    [InlineData("", false)]
    public void Lambda_memory_is_a_whole_number_in_range(string value, bool valid) => Assert.Equal(valid, SettingLimit.TryParse(value, 128, 10240, out _));

    [Theory]
    [InlineData("ca-central-1", true)]
    [InlineData("us-gov-west-1", true)]
    [InlineData("Canada", false)]
    [InlineData("ca-central", false)]
    public void Regions_look_like_aws_regions(string region, bool valid) => Assert.Equal(valid, NameRules.IsRegion(region));
}
