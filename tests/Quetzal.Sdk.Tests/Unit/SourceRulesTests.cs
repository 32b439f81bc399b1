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

    /// <summary>
    /// Settings read outside the resolved model besides its one mapping (QuetzalResolveModel), with the reason: a
    /// setting is read in one place, so a default or a new reader is added in one place.
    /// </summary>
    private static readonly Dictionary<string, string> SettingsReadTwice = new()
    {
        ["QuetzalModelName"] = "the default of the derived names and of the tfvars file",
        ["QuetzalScenariosDirectory"] = "the scenario items are the folders in it (Sdk.props)",
        ["QuetzalStateMachineFile"] = "whether the workflow is the project's file or the generated one",
        ["QuetzalIntermediateOutputPath"] = "obj/quetzal/ itself, where the document is written",
        ["QuetzalTasksAssembly"] = "the tasks' UsingTask lines and dotnet run's command",
        ["QuetzalDryRun"] = "a publish's and a teardown's own option",
        ["QuetzalTfvarsFile"] = "never in the image (SdkState), besides the tfvars' path",
    };

    [Fact]
    public void Every_setting_has_its_default_in_Sdk_targets_and_is_read_once_by_the_resolved_model()
    {
        var sdk = Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild", "Sdk");
        var texts = Directory.EnumerateFiles(sdk).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var defaults = Regex.Matches(texts["Sdk.targets"] + texts["Quetzal.Run.targets"], @"<(Quetzal\w+) Condition=""'\$\(\1\)' == ''""").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("QuetzalEcsTimeLimit", defaults);
        var offenders = new List<string>();
        foreach (var property in defaults.Where(p => !SettingsReadTwice.ContainsKey(p)))
        {
            var reads = texts.Sum(t => Regex.Matches(t.Value, $@"\$\({property}\)").Count - Regex.Matches(t.Value, $@"'\$\({property}\)' == ''").Count);
            var defaultsOf = texts.Sum(t => Regex.Matches(t.Value, $@"<{property} Condition=").Count);
            if (reads != 1) offenders.Add($"{property}: read {reads} times");
            if (defaultsOf != 1) offenders.Add($"{property}: {defaultsOf} defaults");
        }
        Assert.True(offenders.Count == 0, "A setting is read by QuetzalResolveModel only, and given its default once:\n" + string.Join("\n", offenders));

        var resolve = texts["Quetzal.Build.targets"];
        resolve = resolve[resolve.IndexOf("<ResolveQuetzalModel ", StringComparison.Ordinal)..];
        resolve = resolve[..resolve.IndexOf("/>", StringComparison.Ordinal)];
        foreach (var property in defaults.Except(["QuetzalTasksAssembly", "QuetzalIntermediateOutputPath", "QuetzalValidateOnBuild", "QuetzalGenerateContainerFiles", "QuetzalDryRun", "QuetzalPruneScenarios"]))
            Assert.True(resolve.Contains($"$({property})", StringComparison.Ordinal) || property == "QuetzalStateMachineFile" && resolve.Contains("$(QuetzalStateMachineFile)"),
                $"{property} has a default but is not in the resolved model");
    }

    [Fact]
    public void Tasks_take_the_resolved_model_and_only_what_is_theirs_alone()
    {
        var assembly = typeof(Quetzal.Sdk.Tasks.QuetzalTask).Assembly;
        foreach (var task in assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Quetzal.Sdk.Tasks.ModelTask)) && !t.IsAbstract))
        {
            var own = task.GetProperties().Where(p => p.CanWrite && p.DeclaringType == task).Select(p => p.Name).ToList();
            Assert.True(own.Count <= 5, $"{task.Name} takes {own.Count} parameters of its own ({string.Join(", ", own)}): a setting of the model belongs in the resolved model");
        }
        var tasks = assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Quetzal.Sdk.Tasks.QuetzalTask)) && !t.IsAbstract).Select(t => t.Name).ToList();
        Assert.Equal(["CleanQuetzalGeneratedFiles", "ResolveQuetzalModel"], tasks.Where(t => !assembly.GetType("Quetzal.Sdk.Tasks." + t)!.IsSubclassOf(typeof(Quetzal.Sdk.Tasks.ModelTask))).Order());
    }

    /// <summary>The layers, bottom first: a folder uses only folders of lower layers (two folders of one layer do not use each other).</summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["Core"] = 0, ["Diagnostics"] = 1, ["Model"] = 2, ["Validation"] = 3, ["Container"] = 3, ["Aws"] = 4,
        ["Publish"] = 5, ["Import"] = 5, ["Boundary"] = 6, ["Workflow"] = 7, ["Tasks"] = 8,
    };

    /// <summary>
    /// Upward uses that are still there (issue 25: layers you can draw), each "file -> type". The list only shrinks: a
    /// new upward use fails the test, and so does a listed one that is gone (take it off the list).
    /// </summary>
    private static readonly string[] KnownUpwardUses =
    [
    ];

    [Fact]
    public void No_folder_of_the_sdk_uses_a_folder_of_its_layer_or_above_beyond_the_known_uses_still_to_remove()
    {
        var root = Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild");
        var files = Layers.Keys.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs").Select(f => (Folder: folder, File: f, Code: Code(File.ReadAllText(f))))).ToList();
        // Every top-level type, by the folder that declares it.
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, _, code) in files)
            foreach (Match m in Regex.Matches(code, @"^(?:public|internal)\s+(?:(?:static|sealed|abstract|partial|readonly)\s+)*(?:class|record|struct|enum|interface)\s+(\w+)", RegexOptions.Multiline))
                owner[m.Groups[1].Value] = folder;
        Assert.Contains("ModelFiles", owner.Keys);
        Assert.Contains("PublishPipeline", owner.Keys);

        var upward = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (folder, file, code) in files)
            foreach (var name in Regex.Matches(code, @"\b[A-Z]\w+\b").Select(m => m.Value).Distinct())
                if (owner.TryGetValue(name, out var used) && used != folder && Layers[used] >= Layers[folder])
                    upward.Add($"{folder}/{Path.GetFileName(file)} -> {name} ({used})");

        var added = upward.Except(KnownUpwardUses).ToList();
        var gone = KnownUpwardUses.Except(upward).ToList();
        Assert.True(added.Count == 0 && gone.Count == 0,
            $"New upward uses (move the type down, or the code up):\n{string.Join("\n", added)}\nGone (take them off KnownUpwardUses):\n{string.Join("\n", gone)}");
    }

    /// <summary>The code of a C# file without its comments and string literals (names in prose are no uses).</summary>
    private static string Code(string source)
    {
        source = Regex.Replace(source, @"//[^\n]*", "");
        source = Regex.Replace(source, @"/\*.*?\*/", "", RegexOptions.Singleline);
        source = Regex.Replace(source, "\\$?\"\"\"[\\s\\S]*?\"\"\"", "\"\"");
        return Regex.Replace(source, "\\$?@?\"(?:[^\"\\\\\\n]|\\\\.)*\"", "\"\"");
    }
}
