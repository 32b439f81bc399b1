using System.Text.RegularExpressions;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class DiagnosticsTableTests
{
    [Fact]
    public void Codes_are_unique_and_well_formed()
    {
        Assert.Equal(Codes.All.Count, Codes.All.Select(c => c.Code).Distinct().Count());
        Assert.All(Codes.All, c => Assert.Matches("^QTZ[1-59][0-9]{3}$", c.Code));
    }

    [Fact]
    public void The_readme_documents_every_code_and_no_other()
    {
        var readme = File.ReadAllText(Repository.Readme);
        var documented = Regex.Matches(readme, @"^\| `(QTZ\d{4})` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(Codes.All.Select(c => c.Code), documented);
    }

    [Fact]
    public void Every_code_raised_in_the_targets_is_in_the_table()
    {
        var raised = Directory.GetFiles(Repository.SdkDirectory, "*.targets")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), "Code=\"(QTZ\\d{4})\"")).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("QTZ9003", raised);
        foreach (var code in raised) Assert.Contains(code, Codes.All.Select(c => c.Code));
    }
}
