using System.Text.RegularExpressions;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Evaluation;

/// <summary>
/// The build's contract: for any single edit, addition or removal of a file in the model folder, an incremental
/// `dotnet build` reports exactly the diagnostics a clean build of the same folder reports, and reverting the edit
/// clears them. The files are not listed here: they are every file the build's tasks recorded reading, so a file that
/// the SDK starts to read later is in this test the day it is read.
/// </summary>
[Collection(DotNetBuilds.Name)]
public sealed class IncrementalContractTests : IDisposable
{
    private readonly TempDirectory _root = new("contract");

    public void Dispose() => _root.Dispose();

    /// <summary>A model with every kind of scenario file Quetzal reads (as Quenedi writes them), and a second scenario.</summary>
    private string RichModel()
    {
        var model = Models.FromSource(_root);
        var @base = Path.Combine(model, "scenarios", "base");
        File.WriteAllText(Path.Combine(@base, "styles.json"), """[{"name": "volumes", "layer": "road_links"}]""");
        File.WriteAllText(Path.Combine(@base, "info.json"), """{"description": "the base year", "model_tag": "v1"}""");
        File.WriteAllText(Path.Combine(@base, "inputs", "modelConfig.json"), """{"period": "am"}""");
        Directory.CreateDirectory(Path.Combine(@base, "inputs", "od"));
        File.WriteAllText(Path.Combine(@base, "inputs", "od", "od.geojson"), Models.Collection());
        TempDirectory.CopyDirectory(@base, Path.Combine(model, "scenarios", "peak"));
        // A notebook step with a magic in it: the build reads the notebook (QTZ2015).
        File.WriteAllText(Path.Combine(model, "steps", "report.ipynb"), """{"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n"]}], "nbformat": 4}""");
        var machine = Path.Combine(model, "step-functions.json");
        var states = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(machine))!["States"]!.AsObject();
        var report = states["loaded_links"]!.DeepClone();
        report["Parameters"]!["Payload"]!["notebook_path"] = "steps/report.ipynb";
        states["loaded_links"]!.AsObject().Remove("End");
        states["loaded_links"]!["Next"] = "report";
        states["report"] = report;
        File.WriteAllText(machine, states.Root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        // Older than any edit below, as a user's files are: the edits' write times differ from these.
        var past = DateTime.UtcNow.AddMinutes(-10);
        foreach (var file in Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, past);
        return model;
    }

    /// <summary>The errors and warnings of a build, with the model's folder and the build's decorations taken out.</summary>
    private static string[] Diagnostics(ProcessResult build, string model)
        => build.Output.Split('\n')
            .Select(l => Regex.Match(l, @"(error|warning) (QTZ\d{4}): (.*?)(\s+\[[^\]]*\])?\s*$"))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}: {m.Groups[3].Value.Replace(model, "<model>")}")
            .Distinct().Order(StringComparer.Ordinal).ToArray();

    private string[] CleanBuild(string model)
    {
        var clean = _root.Combine($"clean-{Guid.NewGuid():N}"[..14], Path.GetFileName(model));
        TempDirectory.CopyDirectory(model, clean);
        var build = DotNet.Build(clean);
        var result = Diagnostics(build, clean);
        Directory.Delete(Path.GetDirectoryName(clean)!, recursive: true);
        return result;
    }

    /// <summary>Every file of the model folder the build recorded reading (a tree listing records no single file).</summary>
    private static List<string> RecordedFiles(string model)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var record in Directory.EnumerateFiles(Path.Combine(model, "obj", "quetzal"), "*.reads"))
            foreach (var line in File.ReadLines(record).Where(l => l.StartsWith("file|", StringComparison.Ordinal)))
            {
                var path = line["file|".Length..line.LastIndexOf('\t')];
                if (path.StartsWith(model + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path)
                    && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    files.Add(path);
            }
        return files.ToList();
    }

    [Fact]
    public void Every_file_the_build_reads_edited_or_removed_reports_incrementally_what_a_clean_build_reports_and_reverting_clears_it()
    {
        var model = RichModel();
        var first = DotNet.Build(model);
        Assert.True(first.Succeeded, first.ToString());
        var green = Diagnostics(first, model);
        Assert.Contains(green, d => d.StartsWith("warning QTZ2015: Notebook 'steps/report.ipynb'", StringComparison.Ordinal));

        var files = RecordedFiles(model);
        // What the build reads today, at the least; the loop below covers whatever else it reads.
        foreach (var expected in new[] { "step-functions.json", "requirements.txt", "styles.json", "info.json", "modelConfig.json", "od.geojson", "params.json", "nodes.geojson", "links.geojson", "loaded_links.py", "report.ipynb" })
            Assert.Contains(files, f => Path.GetFileName(f) == expected);

        var failures = new List<string>();
        foreach (var file in files)
        {
            var original = File.ReadAllBytes(file);
            var written = File.GetLastWriteTimeUtc(file);
            var edits = new List<(string Name, Action Apply)>
            {
                ("removed", () => File.Delete(file)),
                ("edited", () => File.WriteAllText(file, Path.GetExtension(file) is ".json" or ".geojson" ? """[{"name": 1}]""" : "changed = 1\n")),
            };
            foreach (var (name, apply) in edits)
            {
                apply();
                var incremental = Diagnostics(DotNet.Build(model), model);
                var clean = CleanBuild(model);
                if (!incremental.SequenceEqual(clean))
                    failures.Add($"{Path.GetRelativePath(model, file)} {name}: incremental [{string.Join(" | ", incremental)}] clean [{string.Join(" | ", clean)}]");

                File.WriteAllBytes(file, original);
                File.SetLastWriteTimeUtc(file, written);
                var reverted = Diagnostics(DotNet.Build(model), model);
                if (!reverted.SequenceEqual(green))
                    failures.Add($"{Path.GetRelativePath(model, file)} {name}, then reverted: [{string.Join(" | ", reverted)}], a clean build: [{string.Join(" | ", green)}]");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Broken_styles_and_info_files_fail_an_incremental_build_as_they_fail_a_clean_one()
    {
        var model = RichModel();
        Assert.True(DotNet.Build(model).Succeeded);
        var @base = Path.Combine(model, "scenarios", "base");
        File.WriteAllText(Path.Combine(@base, "styles.json"), """[{"name": "volumes"}]""");
        File.WriteAllText(Path.Combine(@base, "info.json"), """{"description": 3}""");

        var build = DotNet.Build(model);
        Assert.False(build.Succeeded);
        Assert.Contains("error QTZ1303", build.Output);
        Assert.Contains("error QTZ1304", build.Output);
    }

    [Fact]
    public void A_new_scenario_folder_and_a_new_network_file_are_seen_by_an_incremental_build()
    {
        var model = RichModel();
        Assert.True(DotNet.Build(model).Succeeded);
        Directory.CreateDirectory(Path.Combine(model, "scenarios", "empty"));
        var build = DotNet.Build(model);
        Assert.Equal(CleanBuild(model), Diagnostics(build, model));
        Assert.Contains("error QTZ1104", build.Output);
    }
}
