using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Evaluation;

/// <summary>
/// The model resolved once (issue 25, part 1): the build writes obj/quetzal/model.json with every setting, its default
/// applied, and every step reads it, not the properties.
/// </summary>
[Collection(DotNetBuilds.Name)]
public sealed class ResolvedModelTests : IDisposable
{
    private readonly TempDirectory _root = new("resolved");

    public void Dispose() => _root.Dispose();

    private static JsonObject Document(string model) => JsonNode.Parse(File.ReadAllText(Path.Combine(model, "obj", "quetzal", "model.json")))!.AsObject();

    [Fact]
    public void The_build_writes_every_setting_once_with_its_default_and_what_the_project_says()
    {
        var model = Models.FromSource(_root, "resolved-model",
            properties: "<QuetzalEcsTimeLimit>90</QuetzalEcsTimeLimit><QuetzalLambdaMemorySize>2048</QuetzalLambdaMemorySize>",
            items: "<QuetzalScenario Update=\"base\" Description=\"Today's network\" Protected=\"true\" />");
        var build = DotNet.Build(model);
        Assert.True(build.Succeeded, build.ToString());

        var document = Document(model);
        Assert.Equal("resolved-model", (string?)document["modelName"]);
        Assert.Equal("resolved-model", (string?)document["bucketName"]);
        Assert.Equal("ca-central-1", (string?)document["region"]);
        Assert.Equal("2048", (string?)document["memorySize"]);
        Assert.Equal("300", (string?)document["timeout"]);
        Assert.Equal("90", (string?)document["fargate"]!["timeLimit"]);
        Assert.Equal("1024", (string?)document["fargate"]!["cpu"]);
        var base_ = document["scenarios"]!.AsArray().Single(s => (string?)s!["name"] == "base")!;
        Assert.Equal("Today's network", (string?)base_["description"]);
        Assert.True((bool)base_["protected"]!);
        Assert.Equal(Path.Combine(model, "step-functions.json"), (string?)document["stateMachinePath"]);
        Assert.EndsWith(Path.Combine("bin", "quetzal-run") + Path.DirectorySeparatorChar, (string?)document["runDirectory"]);

        // A property given on the command line is in the document, and the step that reads it runs again.
        var changed = DotNet.Build(model, "-p:QuetzalLambdaMemorySize=3008");
        Assert.True(changed.Succeeded, changed.ToString());
        Assert.Equal("3008", (string?)Document(model)["memorySize"]);
        Assert.Contains("Quetzal: ValidateQuetzalModel runs: ", changed.Output);
    }

    [Fact]
    public void A_damaged_document_is_written_again_by_the_next_build_and_a_step_that_cannot_read_it_says_what_to_do()
    {
        var model = Models.FromSource(_root);
        Assert.True(DotNet.Build(model).Succeeded);
        var file = Path.Combine(model, "obj", "quetzal", "model.json");
        File.WriteAllText(file, "{ \"format\": 99 }");
        var build = DotNet.Build(model);
        Assert.True(build.Succeeded, build.ToString());
        Assert.Equal(1, (int)Document(model)["format"]!);

        var run = DotNet.Run(model, ["exec", Repository.TasksAssembly, "run", "--model", Path.Combine(model, "obj", "nothing.json")]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error QTZ9004: The model's resolved settings (", run.Output);
        Assert.Contains("Build the model (dotnet build), then try again.", run.Output);
    }

    [Fact]
    public void Dotnet_run_gets_the_document_not_the_settings()
    {
        var model = Models.FromSource(_root);
        var arguments = DotNet.Run(model, ["msbuild", "-nodeReuse:false", "-restore", "-t:_QuetzalComputeRunArguments", "-getProperty:RunArguments"]);
        Assert.True(arguments.Succeeded, arguments.ToString());
        var line = arguments.Output.Trim();
        Assert.Matches("^exec \".*Quetzal.Sdk.Msbuild.dll\" run --model \".*model.json\"$", line);
        Assert.DoesNotContain("--bucket", line);
    }

    [Fact]
    public void A_misspelt_property_is_a_warning_naming_the_nearest_one_in_the_project_and_on_the_command_line()
    {
        var model = Models.FromSource(_root, properties: "<QuetzalLambaTimeout>900</QuetzalLambaTimeout>");
        var build = DotNet.Build(model, "-p:QuetzalEcsCpuu=2048", "-p:QuetzalLambdaMemorySize=2048");
        Assert.True(build.Succeeded, build.ToString());
        var project = Path.Combine(model, "demo-model.quetzalproj");
        var inProject = build.Output.Split('\n').Select(l => l.Trim()).First(l => l.Contains("QTZ1012", StringComparison.Ordinal) && l.Contains("QuetzalLambaTimeout", StringComparison.Ordinal));
        Assert.Matches(@"demo-model\.quetzalproj\(\d+,\d+\): warning QTZ1012: QuetzalLambaTimeout is not a property of Quetzal.Sdk", inProject);
        Assert.Contains("Did you mean QuetzalLambdaTimeout?", inProject);
        Assert.Contains("warning QTZ1012: QuetzalEcsCpuu (given on the command line) is not a property of Quetzal.Sdk, so it changes nothing. Did you mean QuetzalEcsCpu?", build.Output);
        Assert.DoesNotContain("QuetzalLambdaMemorySize is not", build.Output);

        // Said again by every build, as a clean build says it; gone with the fix.
        Assert.Contains("QTZ1012", DotNet.Build(model, "-p:QuetzalEcsCpuu=2048").Output);
        File.WriteAllText(project, File.ReadAllText(project).Replace("QuetzalLambaTimeout", "QuetzalLambdaTimeout"));
        Assert.DoesNotContain("QTZ1012", DotNet.Build(model).Output);
    }
}
