using System.Text.Json.Nodes;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>A model of the original layout brought in by QuetzalImport, from the packed packages, as a modeller would.</summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class ImportTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _workspace = packages.Workspace();
    private readonly string _name = $"imp-{Guid.NewGuid():N}"[..16];

    public void Dispose() => _workspace.Dispose();

    [StackFact]
    public void An_original_model_comes_in_with_one_command_builds_runs_and_publishes_to_the_stack()
    {
        LocalStack.EnsureRunning();
        var old = _workspace.Combine("old", "lyon");
        // The original template's Dockerfile with what models add: a system package, an environment variable; the
        // quetzal library beside the model, as the parent-folder build took it.
        var baseImage = BaseImageWithDnf();
        var tfvars = OriginalLayout.Write(old, _name, baseImage, Path.Combine(Repository.TemplateContent, "scenarios", "base"));
        var dockerfile = Path.Combine(old, "Dockerfile");
        File.WriteAllText(dockerfile, File.ReadAllText(dockerfile).Replace("RUN mkdir -p /opt/quetzal-data", "RUN dnf install -y proj-data && dnf clean all\nENV PROJ_DATA=/usr/share/proj"));
        Directory.CreateDirectory(_workspace.Combine("old", "quetzal", "quetzal"));
        File.WriteAllText(_workspace.Combine("old", "quetzal", "quetzal", "__init__.py"), "MARK = 'the quetzal library of the checkout'\n");
        File.WriteAllText(Path.Combine(old, "notebooks", "transport", "A20_STEP_2.ipynb"), Stack.HandlerTests.Notebook(
            "import os, quetzal\nprint('step 2 of the imported model:', quetzal.MARK, os.environ['PROJ_DATA'])"));
        var before = OriginalLayout.Snapshot(old);
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", "lyon").Succeeded);
        var model = _workspace.Combine("lyon");
        string[] import = ["build", "-t:QuetzalImport", "-nodeReuse:false", $"-p:QuetzalImportFrom={old}", $"-p:QuetzalImportTfvars={tfvars}"];

        var first = packages.Run(model, import);
        Assert.True(first.Succeeded, first.ToString());
        Assert.DoesNotContain("QTZ1403", first.Output); // every line of the Dockerfile has a setting: the SDK generates it
        Assert.Contains("warning QTZ1404", first.Output); // the AWS keys of the .env, left behind
        Assert.Contains("RUN dnf install -y proj-data && dnf clean all: QuetzalSystemPackages = proj-data", first.Output); // the summary
        var project = File.ReadAllText(Path.Combine(model, "lyon.quetzalproj"));
        foreach (var setting in new[] { $"<QuetzalModelName>{_name}</QuetzalModelName>", "<QuetzalLambdaMemorySize>10240</QuetzalLambdaMemorySize>",
                     "<QuetzalLambdaTimeout>600</QuetzalLambdaTimeout>", "<QuetzalLambdaStorageSize>10240</QuetzalLambdaStorageSize>", $"<QuetzalBaseImage>{baseImage}</QuetzalBaseImage>",
                     "<QuetzalLibraryPath>../old/quetzal</QuetzalLibraryPath>", "<QuetzalSystemPackages>proj-data</QuetzalSystemPackages>",
                     "<QuetzalImageEnvironment>PROJ_DATA=/usr/share/proj</QuetzalImageEnvironment>" })
            Assert.Contains(setting, project);
        Assert.DoesNotContain("QuetzalBucketName", project); // the same as the model name: not written
        var machine = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "step-functions.json")))!;
        Assert.Equal("${LambdaFunctionArn}", (string?)machine["States"]!["STEP 1"]!["Parameters"]!["FunctionName"]);
        Assert.Equal("arn:aws:lambda:${AwsRegion}:${AwsAccountId}:function:quetzal-api-auth:$LATEST", (string?)machine["States"]!["Authorization"]!["Parameters"]!["FunctionName"]);
        Assert.True(File.Exists(Path.Combine(model, "notebooks", "transport", "A10_STEP_1.ipynb")));
        Assert.False(Directory.Exists(Path.Combine(model, "steps"))); // the template's sample steps gave way
        Assert.False(File.Exists(Path.Combine(model, ".env")));
        Assert.False(File.Exists(Path.Combine(model, "Dockerfile"))); // the build generates it
        Assert.Equal(before, OriginalLayout.Snapshot(old)); // the old folder is read, never written

        // Twice gives the same result.
        var imported = OriginalLayout.Snapshot(model);
        var second = packages.Run(model, import);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Equal(imported, OriginalLayout.Snapshot(model));

        var build = packages.Run(model, "build", "-nodeReuse:false");
        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain(": error ", build.Output);

        // The Authorization state calls quetzal-api-auth, which a local run cannot: it passes its payload on, and says so.
        var run = packages.Run(model, "run", "-p:QuetzalPython=/usr/bin/python3");
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("State 'Authorization' invokes arn:aws:lambda:ca-central-1:000000000000:function:quetzal-api-auth:$LATEST, which is not the model's function", run.Output);
        // The library and the environment as the image will hold them.
        Assert.Contains("step 2 of the imported model: the quetzal library of the checkout /usr/share/proj", run.Output);
        Assert.Contains("dnf install -y proj-data", File.ReadAllText(Path.Combine(model, "Dockerfile")));

        // What infra/ creates, then the publish.
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", _name, "--endpoint-url", LocalStack.ControlPlane], env).Succeeded);
        Assert.True(Processes.Run("aws", ["s3api", "create-bucket", "--bucket", _name, "--endpoint-url", LocalStack.S3], env).Succeeded);
        var publish = packages.Run(model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1"], LocalStack.Environment_());
        Assert.True(publish.Succeeded, publish.ToString());
        Assert.Contains($"Lambda: created {_name}", publish.Output);

        // The image holds what the old Dockerfile added: the package dnf installed, the library, the environment (the
        // dependencies' image the engine built, under the model's layer the publish appended).
        var images = Processes.Run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]);
        var image = images.Output.Split('\n', StringSplitOptions.TrimEntries).Single(i => i.StartsWith($"{LocalStack.Registry}/{_name}:deps-", StringComparison.Ordinal));
        var inside = Processes.Run("docker", ["run", "--rm", "--entrypoint", "sh", image, "-c", "cat /var/quetzal-dnf.txt; cat /var/task/quetzal/__init__.py; echo $PROJ_DATA"]);
        Assert.True(inside.Succeeded, inside.ToString());
        Assert.Contains("install -y proj-data", inside.Output);
        Assert.Contains("MARK = 'the quetzal library of the checkout'", inside.Output);
        Assert.Contains("/usr/share/proj", inside.Output);
    }

    /// <summary>The stack's base image with a stand-in for dnf that notes what it was asked to install (nothing can be pulled here).</summary>
    private static string BaseImageWithDnf()
    {
        var tag = LocalStack.BaseImage.Split(':')[0] + "-dnf:" + LocalStack.BaseImage.Split(':')[1];
        if (Processes.Run("docker", ["image", "inspect", tag]).Succeeded) return tag;
        var dockerfile = $"FROM {LocalStack.BaseImage}\nRUN mkdir -p /usr/local/bin && printf '#!/bin/sh\\necho \"$*\" >> /var/quetzal-dnf.txt\\n' > /usr/local/bin/dnf && chmod +x /usr/local/bin/dnf\nENV PATH=/usr/local/bin:/usr/bin:/bin\n";
        var build = Processes.Run("bash", ["-c", $"printf '%s' \"$0\" | docker build -q -t {tag} -", dockerfile]);
        Assert.True(build.Succeeded, build.ToString());
        return tag;
    }
}
