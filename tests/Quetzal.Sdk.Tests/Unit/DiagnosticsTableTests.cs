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
    public void The_error_code_reference_is_made_from_the_codes_one_heading_each()
    {
        // Made from Codes.cs: every code once, in order, under a heading of its own (the anchor its help link opens),
        // with its severity, its summary and the message it prints. QUETZAL_WRITE_DOCS=1 writes the page anew.
        var path = Repository.Doc("error-codes.md");
        var expected = ErrorCodePage.Render();
        if (Environment.GetEnvironmentVariable("QUETZAL_WRITE_DOCS") == "1") File.WriteAllText(path, expected);
        var page = File.ReadAllText(path).ReplaceLineEndings("\n");
        var documented = Regex.Matches(page, @"^### (QTZ\d{4})$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(Codes.All.Select(c => c.Code), documented);
        Assert.True(expected == page, "docs/error-codes.md differs from the codes: run the unit tests with QUETZAL_WRITE_DOCS=1 to write it anew");
    }

    [Fact]
    public void Every_diagnostic_links_to_its_heading_in_the_reference_shipped_beside_the_sdk()
    {
        var link = HelpLinks.For("QTZ1104");
        Assert.NotNull(link);
        var uri = new Uri(link!);
        Assert.True(File.Exists(uri.LocalPath), uri.LocalPath);
        Assert.Equal("#qtz1104", uri.Fragment);
        Assert.Contains("\n### QTZ1104\n", File.ReadAllText(uri.LocalPath).ReplaceLineEndings("\n"));
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

    [Fact]
    public void The_scaffolded_readme_points_at_docs_the_package_ships_and_no_package_page()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.TemplateContent, "README.md"));
        // nuget.org has no Quetzal.Sdk page: the docs are in the package the model restores (docs/*.md).
        Assert.DoesNotContain("nuget.org/packages", readme);
        Assert.Contains(".nuget/packages/quetzal.sdk/<version>/docs/", readme);
        var named = Regex.Matches(readme, @"`(?:docs/)?([a-z-]+\.md)`").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("getting-started.md", named);
        Assert.Contains("error-codes.md", named);
        foreach (var page in named) Assert.True(File.Exists(Repository.Doc(page)), $"the template's README names docs/{page}, which is not in docs/");
    }
}

/// <summary>docs/error-codes.md as the codes make it.</summary>
public static class ErrorCodePage
{
    private static readonly (char Range, string Title)[] Ranges =
    [
        ('1', "1xxx: the model's inputs and settings"), ('2', "2xxx: the state machine"), ('3', "3xxx: the container"),
        ('4', "4xxx: AWS"), ('5', "5xxx: the local run"), ('9', "9xxx: the SDK itself"),
    ];

    public static string Render()
    {
        var text = new System.Text.StringBuilder();
        text.Append("# Error codes\n\n[Quetzal.Sdk](../README.md) · [all docs](README.md)\n\n");
        text.Append("Every message you can act on has a code, and a heading here: an IDE's error list opens it from the code (each\n");
        text.Append("diagnostic's help link points at this page as shipped with your SDK version, `docs/error-codes.md#qtz1104`). No user\n");
        text.Append("mistake ends in MSBuild's \"task failed unexpectedly\": an unexpected failure is `QTZ9001`, with the details at\n");
        text.Append("diagnostic verbosity. `…` stands for what the message fills in (a file, a name, a value). A warning can be made an\n");
        text.Append("error (`<MSBuildWarningsAsErrors>QTZ1302</MSBuildWarningsAsErrors>` in the project) or a message\n");
        text.Append("(`MSBuildWarningsAsMessages`).\n\n");
        text.Append(string.Join(" · ", Ranges.Select(r => $"[{r.Title[..4]}](#{Slug(r.Title)})"))).Append("\n");
        foreach (var (range, title) in Ranges)
        {
            text.Append($"\n## {title}\n");
            foreach (var code in Codes.All.Where(c => c.Code[3] == range))
            {
                text.Append($"\n### {code.Code}\n\n**{code.Severity.ToString().ToLowerInvariant()}** · {code.Summary}\n\n");
                text.Append("```text\n").Append(Regex.Replace(code.Format, @"\{\d+(:[^}]*)?\}", "…")).Append("\n```\n");
            }
        }
        return text.ToString();
    }

    /// <summary>GitHub's anchor of a heading: lower case, spaces to '-', punctuation dropped.</summary>
    private static string Slug(string title) => Regex.Replace(title.ToLowerInvariant().Replace(' ', '-'), @"[^a-z0-9_-]", "");
}
