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
        var tfvars = OriginalLayout.Write(old, _name, LocalStack.BaseImage, Path.Combine(Repository.TemplateContent, "scenarios", "base"));
        var before = OriginalLayout.Snapshot(old);
        Assert.True(packages.New(_workspace.Path, "quetzal-model", "-n", "lyon").Succeeded);
        var model = _workspace.Combine("lyon");
        string[] import = ["build", "-t:QuetzalImport", "-nodeReuse:false", $"-p:QuetzalImportFrom={old}", $"-p:QuetzalImportTfvars={tfvars}"];

        var first = packages.Run(model, import);
        Assert.True(first.Succeeded, first.ToString());
        Assert.Contains("warning QTZ1403", first.Output); // the Dockerfile's extra RUN line, kept in a Dockerfile of the model's own
        Assert.Contains("warning QTZ1404", first.Output); // the AWS keys of the .env, left behind
        var project = File.ReadAllText(Path.Combine(model, "lyon.quetzalproj"));
        foreach (var setting in new[] { $"<QuetzalModelName>{_name}</QuetzalModelName>", "<QuetzalLambdaMemorySize>10240</QuetzalLambdaMemorySize>",
                     "<QuetzalLambdaTimeout>600</QuetzalLambdaTimeout>", "<QuetzalLambdaStorageSize>10240</QuetzalLambdaStorageSize>", $"<QuetzalBaseImage>{LocalStack.BaseImage}</QuetzalBaseImage>" })
            Assert.Contains(setting, project);
        Assert.DoesNotContain("QuetzalBucketName", project); // the same as the model name: not written
        var machine = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "step-functions.json")))!;
        Assert.Equal("${LambdaFunctionArn}", (string?)machine["States"]!["STEP 1"]!["Parameters"]!["FunctionName"]);
        Assert.Equal("arn:aws:lambda:${AwsRegion}:${AwsAccountId}:function:quetzal-api-auth:$LATEST", (string?)machine["States"]!["Authorization"]!["Parameters"]!["FunctionName"]);
        Assert.True(File.Exists(Path.Combine(model, "notebooks", "transport", "A10_STEP_1.ipynb")));
        Assert.False(Directory.Exists(Path.Combine(model, "steps"))); // the template's sample steps gave way
        Assert.False(File.Exists(Path.Combine(model, ".env")));
        Assert.Contains("RUN mkdir -p /opt/quetzal-data", File.ReadAllText(Path.Combine(model, "Dockerfile")));
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
        Assert.Contains("step 2 of the imported model", run.Output);

        // What infra/ creates, then the publish.
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", _name, "--endpoint-url", LocalStack.ControlPlane], env).Succeeded);
        Assert.True(Processes.Run("aws", ["s3api", "create-bucket", "--bucket", _name, "--endpoint-url", LocalStack.S3], env).Succeeded);
        var publish = packages.Run(model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1"], LocalStack.Environment_());
        Assert.True(publish.Succeeded, publish.ToString());
        Assert.Contains($"Lambda: created {_name}", publish.Output);
    }
}
