using System.IO.Compression;
using System.Xml.Linq;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>What a modeller does: install the template, scaffold, build; then break an input and read the error.</summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class TemplateAndBuildTests(PackedPackages packages)
{
    private static string[] PackageFiles(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        return zip.Entries.Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal) && !n.StartsWith("package/", StringComparison.Ordinal) && n != "[Content_Types].xml")
            .Order(StringComparer.Ordinal).ToArray();
    }

    private static XElement Nuspec(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XElement.Load(stream);
    }

    private string Scaffold(TempDirectory workspace, string name = "demo-model", params string[] options)
    {
        var result = packages.New(workspace.Path, ["quetzal-model", "-n", name, .. options]);
        Assert.True(result.Succeeded, result.ToString());
        return workspace.Combine(name);
    }

    private static string CopyModel(string model, string name)
    {
        var copy = Path.Combine(Path.GetDirectoryName(model)!, name);
        TempDirectory.CopyDirectory(model, copy);
        File.Move(Path.Combine(copy, Path.GetFileName(model) + ".quetzalproj"), Path.Combine(copy, name + ".quetzalproj"));
        return copy;
    }

    [Fact]
    public void The_sdk_package_holds_exactly_its_targets_handler_and_tasks()
    {
        // The docs of this version travel with it: each diagnostic's help link opens docs/error-codes.md in the package.
        var docs = Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f));
        Assert.Contains("docs/error-codes.md", docs);
        Assert.Equal(
            new[]
            {
                "Quetzal.Sdk.nuspec", "README.md", "Sdk/Quetzal.Build.targets", "Sdk/Quetzal.Infra.targets", "Sdk/Quetzal.Publish.targets",
                "Sdk/Quetzal.Run.targets", "Sdk/Sdk.props", "Sdk/Sdk.targets",
                "handler/quetzal_handler.py",
                "infra/environments/example.tfvars", "infra/main.tf",
                "infra/modules/quetzal-model/cognito.tf", "infra/modules/quetzal-model/ecr.tf", "infra/modules/quetzal-model/ecs.tf", "infra/modules/quetzal-model/lambda.tf",
                "infra/modules/quetzal-model/main.tf", "infra/modules/quetzal-model/outputs.tf", "infra/modules/quetzal-model/s3.tf",
                "infra/modules/quetzal-model/stepfunctions.tf", "infra/modules/quetzal-model/variables.tf",
                "infra/outputs.tf", "infra/variables.tf", "infra/versions.tf",
                "tasks/net10.0/AWSSDK.Core.dll", "tasks/net10.0/AWSSDK.Extensions.Numerics.dll", "tasks/net10.0/AWSSDK.S3.dll",
                "tasks/net10.0/Docker.DotNet.dll", "tasks/net10.0/Newtonsoft.Json.dll", "tasks/net10.0/Quetzal.Sdk.Msbuild.deps.json",
                "tasks/net10.0/Quetzal.Sdk.Msbuild.dll", "tasks/net10.0/Quetzal.Sdk.Msbuild.runtimeconfig.json",
                "tasks/net10.0/System.CommandLine.dll", "tasks/net10.0/System.IO.Hashing.dll",
            }.Concat(docs).Order(StringComparer.Ordinal),
            PackageFiles(packages.SdkPackage));
        var nuspec = Nuspec(packages.SdkPackage);
        var ns = nuspec.Name.Namespace;
        Assert.Equal("MSBuildSdk", nuspec.Descendants(ns + "packageType").Single().Attribute("name")!.Value);
        Assert.Empty(nuspec.Descendants(ns + "dependency"));
        Assert.Equal(packages.Version, nuspec.Descendants(ns + "version").Single().Value);
    }

    [Fact]
    public void The_template_package_holds_exactly_the_model()
    {
        Assert.Equal(
            [
                "Quetzal.Templates.nuspec", "README.md",
                "content/quetzal-model/.gitignore", "content/quetzal-model/.template.config/template.json", "content/quetzal-model/README.md",
                "content/quetzal-model/quetzal-model.quetzalproj", "content/quetzal-model/requirements.txt",
                "content/quetzal-model/scenarios/base/inputs/params.json",
                "content/quetzal-model/scenarios/base/inputs/pt/links.geojson", "content/quetzal-model/scenarios/base/inputs/pt/nodes.geojson",
                "content/quetzal-model/scenarios/base/inputs/road/links.geojson", "content/quetzal-model/scenarios/base/inputs/road/nodes.geojson",
                "content/quetzal-model/step-functions.json",
                "content/quetzal-model/steps/loaded_links.py", "content/quetzal-model/steps/model_io.py", "content/quetzal-model/steps/network_summary.py",
            ],
            PackageFiles(packages.TemplatePackage));
        var nuspec = Nuspec(packages.TemplatePackage);
        Assert.Equal("Template", nuspec.Descendants(nuspec.Name.Namespace + "packageType").Single().Attribute("name")!.Value);
    }

    [Fact]
    public void A_scaffolded_model_builds_green_with_its_container_files_and_a_second_build_skips_the_work()
    {
        using var workspace = packages.Workspace();
        var model = Scaffold(workspace);
        Assert.Contains($"Sdk=\"Quetzal.Sdk/{packages.Version}\"", File.ReadAllText(Path.Combine(model, "demo-model.quetzalproj")));

        var first = packages.Build(model);
        Assert.True(first.Succeeded, first.ToString());
        Assert.DoesNotContain(": warning ", first.Output);
        Assert.Contains($"# quetzal:generated by Quetzal.Sdk {packages.Version}.", File.ReadAllText(Path.Combine(model, "Dockerfile")));
        Assert.Contains("**/.env", File.ReadAllLines(Path.Combine(model, ".dockerignore")));

        var second = packages.Build(model);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Quetzal: ValidateQuetzalModel is up to date: nothing it read changed since its last run.", second.Output);
        Assert.Contains("Quetzal: GenerateQuetzalContainerFiles is up to date: nothing it read changed since its last run.", second.Output);
    }

    [Fact]
    public void Template_parameters_become_project_properties()
    {
        using var workspace = packages.Workspace();
        var model = Scaffold(workspace, "paris", "--region", "eu-west-3", "--memory", "2048", "--timeout", "600", "--storage", "10240");
        var properties = packages.Run(model, "msbuild", "-nodeReuse:false", "-getProperty:QuetzalAwsRegion", "-getProperty:QuetzalLambdaMemorySize",
            "-getProperty:QuetzalLambdaTimeout", "-getProperty:QuetzalLambdaStorageSize", "-getProperty:QuetzalModelName");
        Assert.True(properties.Succeeded, properties.ToString());
        Assert.Contains("\"QuetzalAwsRegion\": \"eu-west-3\"", properties.Output);
        Assert.Contains("\"QuetzalLambdaMemorySize\": \"2048\"", properties.Output);
        Assert.Contains("\"QuetzalLambdaTimeout\": \"600\"", properties.Output);
        Assert.Contains("\"QuetzalLambdaStorageSize\": \"10240\"", properties.Output);
        Assert.Contains("\"QuetzalModelName\": \"paris\"", properties.Output);
    }

    [Theory]
    [InlineData("QuetzalLyon", "quetzallyon")]
    [InlineData("lyon_2024", "lyon-2024")]
    public void A_name_that_is_no_valid_model_name_gets_one_made_from_it_said_at_once_and_builds_green(string name, string modelName)
    {
        using var workspace = packages.Workspace();
        var created = packages.New(workspace.Path, "quetzal-model", "-n", name);
        Assert.True(created.Succeeded, created.ToString());
        Assert.Contains("The name you gave is not a valid S3 bucket name", created.Output);
        var model = workspace.Combine(name);
        Assert.Contains($"<QuetzalModelName>{modelName}</QuetzalModelName>", File.ReadAllText(Path.Combine(model, name + ".quetzalproj")));
        var build = packages.Run(model, "build", "-nodeReuse:false");
        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain("QTZ1001", build.Output);

        // A valid name is the model name as it is, and nothing is said.
        var valid = packages.New(workspace.Path, "quetzal-model", "-n", "quetzal-lyon");
        Assert.DoesNotContain("not a valid S3 bucket name", valid.Output);
    }

    [Fact]
    public void Broken_inputs_fail_the_build_with_their_code_and_file()
    {
        using var workspace = packages.Workspace();
        var model = Scaffold(workspace);

        var truncated = CopyModel(model, "truncated-network");
        var roadLinks = Path.Combine(truncated, "scenarios", "base", "inputs", "road", "links.geojson");
        File.WriteAllText(roadLinks, File.ReadAllText(roadLinks)[..300]);

        var dangling = CopyModel(model, "dangling-link");
        var ptLinks = Path.Combine(dangling, "scenarios", "base", "inputs", "pt", "links.geojson");
        File.WriteAllText(ptLinks, File.ReadAllText(ptLinks).Replace("\"b\": \"pt_node_2\"", "\"b\": \"pt_node_99\""));

        var projected = CopyModel(model, "projected-crs");
        var roadNodes = Path.Combine(projected, "scenarios", "base", "inputs", "road", "nodes.geojson");
        File.WriteAllText(roadNodes, File.ReadAllText(roadNodes).Replace("\"type\": \"FeatureCollection\",",
            "\"type\": \"FeatureCollection\", \"crs\": { \"type\": \"name\", \"properties\": { \"name\": \"urn:ogc:def:crs:EPSG::2154\" } },"));

        // A model name that is no S3 bucket name, as a project renamed without its QuetzalModelName gets.
        var badName = CopyModel(model, "Quetzal_Paris");
        var badProject = Path.Combine(badName, "Quetzal_Paris.quetzalproj");
        File.WriteAllText(badProject, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(badProject), @"\s*<QuetzalModelName>[^<]*</QuetzalModelName>", ""));

        foreach (var (folder, code, file) in new[]
                 {
                     (truncated, "QTZ1201", roadLinks + "(4,"),
                     (dangling, "QTZ1210", ptLinks + "(6,1)"),
                     (projected, "QTZ1206", roadNodes + "(2,"),
                     (badName, "QTZ1001", Path.Combine(badName, "Quetzal_Paris.quetzalproj")),
                 })
        {
            var build = packages.Build(folder);
            Assert.False(build.Succeeded, $"{folder} built:\n{build}");
            var errors = build.Output.Split('\n').Where(l => l.Contains($"error {code}:", StringComparison.Ordinal)).ToArray();
            Assert.True(errors.Length > 0, $"no {code} in:\n{build}");
            Assert.True(errors[0].Trim().StartsWith(file, StringComparison.Ordinal), $"expected {file} in: {errors[0]}");
            Assert.DoesNotContain("MSB4018", build.Output);
        }
    }

    [Fact]
    public void A_solution_with_a_model_and_a_csharp_project_restores_builds_tests_packs_publishes_and_cleans()
    {
        using var workspace = packages.Workspace();
        Scaffold(workspace);
        Assert.True(packages.Run(workspace.Path, "new", "classlib", "-n", "Lib", "-o", "Lib").Succeeded);
        Assert.True(packages.Run(workspace.Path, "new", "sln", "-n", "all").Succeeded);
        var add = packages.Run(workspace.Path, "sln", "all.slnx", "add", "demo-model/demo-model.quetzalproj", "Lib/Lib.csproj");
        Assert.True(add.Succeeded, add.ToString());
        Assert.Contains("demo-model/demo-model.quetzalproj", File.ReadAllText(workspace.Combine("all.slnx")));

        foreach (var verb in new[] { "restore", "build", "test", "pack", "clean" })
        {
            var result = packages.Run(workspace.Path, verb, "all.slnx", "-nodeReuse:false");
            Assert.True(result.Succeeded, $"dotnet {verb}: {result}");
            Assert.DoesNotContain(": error", result.Output);
            if (verb == "build") Assert.True(File.Exists(workspace.Combine("demo-model", "Dockerfile")));
        }
        Assert.False(File.Exists(workspace.Combine("demo-model", "Dockerfile")), "clean removes the generated Dockerfile");
        Assert.Empty(Directory.GetFiles(workspace.Path, "demo-model*.nupkg", SearchOption.AllDirectories));

        // dotnet publish of the solution publishes the library and deploys no model: any AWS call would go to a
        // closed port and fail the build.
        var closed = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9", ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE", ["AWS_SECRET_ACCESS_KEY"] = "example", ["AWS_REGION"] = "ca-central-1" };
        var publish = packages.Run(workspace.Path, ["publish", "all.slnx", "-nodeReuse:false"], closed);
        Assert.True(publish.Succeeded, publish.ToString());
        Assert.Contains("demo-model: built, not deployed: dotnet publish of a solution does not deploy Quetzal models", publish.Output);
        Assert.DoesNotContain("Quetzal: publishing", publish.Output);
        Assert.Contains(Directory.GetFiles(workspace.Combine("Lib", "bin"), "Lib.dll", SearchOption.AllDirectories), f => f.Contains("publish", StringComparison.Ordinal));
        Assert.True(File.Exists(workspace.Combine("demo-model", "Dockerfile")), "the model is built (validated) by the solution publish");

        // The model's own publish still deploys (here it reaches the closed port: a coded AWS error, not a skip).
        var own = packages.Run(workspace.Combine("demo-model"), ["publish", "-nodeReuse:false"], closed);
        Assert.Contains("Quetzal: publishing", own.Output);
        Assert.DoesNotContain("not deployed", own.Output);
        Assert.False(own.Succeeded);
        Assert.Contains("error QTZ", own.Output);
        Assert.DoesNotContain("QTZ9001", own.Output);
    }
}
