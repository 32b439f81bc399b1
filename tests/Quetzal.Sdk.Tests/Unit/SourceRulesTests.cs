using System.Text.RegularExpressions;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Rules of the SDK's own source that keep a promise to the user true as the code grows.</summary>
public sealed class SourceRulesTests
{
    private static readonly Regex DiskRead = new(@"\bFile\.(Exists|Read\w*|Open\w*)\(|\bDirectory\.(Exists|Enumerate\w*|Get\w*)\(|new (FileStream|FileInfo|DirectoryInfo)\(");

    /// <summary>Reads that are not of the model's inputs, or that follow a recorded read of the same file, with the reason.</summary>
    private static readonly (string File, string Code, string Why)[] Allowed =
    [
        ("Validation/ModelValidator.cs", "Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current)", "where a link points, for a path already read through ModelFiles"),
        ("Validation/NetworkCheck.cs", "ModelFiles.Exists(path) ? new FileInfo(path).Length", "the size of a file just recorded"),
        ("Validation/NetworkCheck.cs", "File.Exists(runtimeConfig)", "the SDK's own network worker"),
        ("Validation/NetworkCheck.cs", "File.Exists(named)", "the dotnet host"),
        ("Validation/NetworkValidator.cs", "new FileInfo(rules.Path).Length", "the size of a network its reader opens through ModelFiles"),
        ("Validation/ValidationCache.cs", "File.Exists(path) && JsonSerializer", "the cache's own file in obj/"),
    ];

    [Fact]
    public void Validation_and_the_model_read_the_disk_only_through_ModelFiles_so_that_incremental_builds_see_every_read()
    {
        var root = Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild");
        var offenders = new List<string>();
        foreach (var folder in new[] { "Validation", "Model" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs"))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    var line = lines[i];
                    if (line.TrimStart().StartsWith("//", StringComparison.Ordinal) || !DiskRead.IsMatch(line)) continue;
                    if (Allowed.Any(a => a.File == relative && line.Contains(a.Code, StringComparison.Ordinal))) continue;
                    offenders.Add($"{relative}:{i + 1}: {line.Trim()}");
                }
            }
        Assert.True(offenders.Count == 0, "Read these through Core/ModelFiles (or add them to Allowed with the reason):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_rule_finds_a_raw_read()
    {
        Assert.Matches(DiskRead, "if (File.Exists(styles)) ValidateStyles(styles, bag);");
        Assert.Matches(DiskRead, "foreach (var d in Directory.EnumerateDirectories(folder))");
        Assert.DoesNotMatch(DiskRead, "if (ModelFiles.Exists(styles)) ValidateStyles(styles, bag);");
    }
}
