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
    public void The_error_code_reference_documents_every_code_and_no_other()
    {
        var readme = File.ReadAllText(Repository.Doc("error-codes.md"));
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

    [Fact]
    public void The_readme_is_a_short_front_door_and_every_link_of_the_docs_leads_somewhere()
    {
        var readme = File.ReadAllText(Repository.Readme);
        Assert.True(readme.Length <= 16 * 1024, $"the README is {readme.Length} bytes; the front door holds at most 16 KB: move the rest to docs/");
        var pages = Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Append(Repository.Readme).ToList();
        var broken = new List<string>();
        foreach (var page in pages)
            foreach (Match link in Regex.Matches(File.ReadAllText(page), @"\]\(([^)#:]+\.md)(#[^)]*)?\)"))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, link.Groups[1].Value));
                if (!File.Exists(target)) broken.Add($"{Path.GetFileName(page)} -> {link.Groups[1].Value}");
            }
        Assert.True(broken.Count == 0, "links to no file:\n" + string.Join("\n", broken));
    }
}
