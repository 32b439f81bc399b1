using System.Text.Json.Nodes;
using Amazon.S3;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>What the end-to-end tests of runs on "AWS" share: the resources infra/ would create, and a model whose first step takes a while.</summary>
public static class StackModels
{
    /// <summary>The model's ECR repository and bucket on the local stack, as infra/ creates them.</summary>
    public static void CreateInfrastructure(string name)
    {
        LocalStack.EnsureRunning();
        var env = LocalStack.Environment_();
        env["AWS_DEFAULT_REGION"] = "ca-central-1";
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", name, "--endpoint-url", LocalStack.ControlPlane], env).Succeeded);
        using var s3 = new AmazonS3Client(LocalStack.AccessKey, LocalStack.SecretKey, new AmazonS3Config { ServiceURL = LocalStack.S3, ForcePathStyle = true });
        s3.PutBucketAsync(name).GetAwaiter().GetResult();
    }

    /// <summary>The template's workflow with a first state 'slow' running <paramref name="script"/> (steps/slow.py), then the template's states.</summary>
    public static void WithASlowFirstStep(string model, string script)
    {
        File.WriteAllText(Path.Combine(model, "steps", "slow.py"), script);
        var path = Path.Combine(model, "step-functions.json");
        var machine = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var slow = machine["States"]!["network_summary"]!.DeepClone().AsObject();
        slow["Parameters"]!["Payload"]!["notebook_path"] = "steps/slow.py";
        slow["Next"] = "network_summary";
        var states = new JsonObject { ["slow"] = slow };
        foreach (var (name, state) in machine["States"]!.AsObject().ToList()) states[name] = state!.DeepClone();
        machine["States"] = states;
        machine["StartAt"] = "slow";
        File.WriteAllText(path, machine.ToJsonString());
    }
}
