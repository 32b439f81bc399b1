using Quetzal.Sdk.Model;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>
/// The stand-in refuses what AWS's service models refuse (and what a client should never send): each request is
/// signed and sent as the SDK's own clients send theirs, and must come back with AWS's error, not 200.
/// </summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)]
public sealed class StrictControlPlaneTests
{
    private static readonly AwsSettings Settings = new("ca-central-1", null, n => LocalStack.Environment_().GetValueOrDefault(n),
        new Amazon.Runtime.BasicAWSCredentials(LocalStack.AccessKey, LocalStack.SecretKey));

    private static JsonObject Function(Action<JsonObject>? change = null)
    {
        var input = new JsonObject
        {
            ["FunctionName"] = $"strict-{Guid.NewGuid():N}"[..20], ["Role"] = "arn:aws:iam::123456789012:role/lambda-x-role", ["PackageType"] = "Image",
            ["Code"] = new JsonObject { ["ImageUri"] = "127.0.0.1:5001/none:latest" }, ["MemorySize"] = 1024, ["Timeout"] = 60,
            ["EphemeralStorage"] = new JsonObject { ["Size"] = 1024 }, ["Architectures"] = new JsonArray("x86_64"),
        };
        change?.Invoke(input);
        return input;
    }

    private static async Task<AwsServiceException> Refused(Func<AwsHttpClient, Task> send, AwsService service)
    {
        LocalStack.EnsureRunning();
        using var client = new AwsHttpClient(Settings, service) { MaxAttempts = 1 };
        return await Assert.ThrowsAsync<AwsServiceException>(() => send(client));
    }

    private static Task<AwsServiceException> CreateFunction(JsonObject input)
        => Refused(c => c.RestAsync("CreateFunction", HttpMethod.Post, "/2015-03-31/functions", input, default), AwsService.Lambda);

    [StackFact]
    public async Task A_create_function_with_a_member_in_the_wrong_case_is_refused_not_given_128_mb()
    {
        var error = await CreateFunction(Function(f => { f.Remove("MemorySize"); f["memorySize"] = 2048; }));
        Assert.Equal((400, "ValidationException"), (error.Status, error.Type));
        Assert.Contains("'memorySize' is not a member of CreateFunctionRequest", error.AwsMessage);
    }

    [StackFact]
    public async Task A_create_function_without_a_role_is_refused()
    {
        var error = await CreateFunction(Function(f => f.Remove("Role")));
        Assert.Equal("ValidationException", error.Type);
        Assert.Contains("Value null at 'role' failed to satisfy constraint: Member must not be null", error.AwsMessage);
    }

    [StackFact]
    public async Task Out_of_range_storage_and_an_unknown_architecture_are_refused()
    {
        var storage = await CreateFunction(Function(f => f["EphemeralStorage"] = new JsonObject { ["Size"] = 100 }));
        Assert.Contains("at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512", storage.AwsMessage);
        var architecture = await CreateFunction(Function(f => f["Architectures"] = new JsonArray("amd64")));
        Assert.Contains("Value 'amd64' at 'architectures.1.member' failed to satisfy constraint: Member must satisfy enum value set", architecture.AwsMessage);
    }

    [StackFact]
    public async Task A_misspelt_member_does_not_list_every_repository()
    {
        var error = await Refused(c => c.PostTargetAsync("AmazonEC2ContainerRegistry_V20150921", "DescribeRepositories",
            new JsonObject { ["repositoryName"] = new JsonArray("x") }, "1.1", default), AwsService.Ecr);
        Assert.Equal((400, "ValidationException"), (error.Status, error.Type));
        Assert.Contains("'repositoryName' is not a member of DescribeRepositoriesRequest", error.AwsMessage);
    }

    [StackFact]
    public async Task A_state_machine_without_a_role_is_refused()
    {
        var error = await Refused(c => c.PostTargetAsync("AWSStepFunctions", "CreateStateMachine",
            new JsonObject { ["name"] = "strict", ["definition"] = "{\"StartAt\":\"a\",\"States\":{\"a\":{\"Type\":\"Succeed\"}}}" }, "1.0", default), AwsService.StepFunctions);
        Assert.Equal("ValidationException", error.Type);
        Assert.Contains("Value null at 'roleArn'", error.AwsMessage);
    }

    [StackFact]
    public async Task A_request_signed_for_another_service_is_refused()
    {
        // Signed for ECR, sent to Step Functions' endpoint.
        var error = await Refused(c => c.PostTargetAsync("AWSStepFunctions", "ListStateMachines", new JsonObject(), "1.0", default),
            new AwsService("ecr", "states", "SFN"));
        Assert.Equal((403, "InvalidSignatureException"), (error.Status, error.Type));
        Assert.Contains("Credential should be scoped to correct service: 'states'", error.AwsMessage);
    }

    /// <summary>The RegisterTaskDefinition request the publish sends, for a model of the template with a Fargate step.</summary>
    private static JsonObject PublishedTaskDefinition(string model, int memory = 4096)
    {
        var request = new Quetzal.Sdk.Publish.PublishRequest
        {
            ModelDirectory = "/m", Names = new Quetzal.Sdk.Model.ModelResources(model, model, model, model, model), MemorySize = 1024, Timeout = 60, EphemeralStorage = 1024,
            StateMachinePath = "/m/step-functions.json", ScenariosDirectory = "/m/scenarios", Scenarios = ["base"], HandlerDirectory = "/h", LeaseTimeout = TimeSpan.FromSeconds(1),
            Fargate = new Quetzal.Sdk.Model.FargateTask(1024, memory, 21, 60, ["subnet-0123abcd"], [], false),
        };
        var context = new Quetzal.Sdk.Publish.PublishContext(request, new FakeAws(), new ListLog())
        {
            Account = new AwsAccount("ca-central-1", "123456789012"), ModelTag = "q-0123456789ab",
        };
        return Quetzal.Sdk.Publish.TaskDefinitionStep.Definition(context, "127.0.0.1:5001/m@sha256:" + new string('0', 64));
    }

    [StackFact]
    public async Task The_task_definition_a_publish_registers_is_what_ecs_takes_and_describes_back()
    {
        LocalStack.EnsureRunning();
        var model = $"strict-{Guid.NewGuid():N}"[..16];
        using var ecs = new EcsClient(Settings);
        Assert.Null(await ecs.DescribeTaskDefinitionAsync(Quetzal.Sdk.Model.Fargate.Family(model), default));
        var wanted = PublishedTaskDefinition(model);
        var registered = await ecs.RegisterTaskDefinitionAsync(wanted, default);
        Assert.Equal(1, registered.Revision);
        var described = await ecs.DescribeTaskDefinitionAsync(Quetzal.Sdk.Model.Fargate.Family(model), default);
        // ECS adds members of its own; the publish compares what it sets, and finds nothing to change.
        Assert.Empty(Quetzal.Sdk.Publish.TaskDefinitionStep.Differences(described!.Definition, wanted));
        Assert.Equal(["memory"], Quetzal.Sdk.Publish.TaskDefinitionStep.Differences(described.Definition, PublishedTaskDefinition(model, memory: 8192)));
    }

    [StackFact]
    public async Task A_task_definition_fargate_cannot_run_or_a_misspelt_member_is_refused()
    {
        var pair = PublishedTaskDefinition("strict-pair");
        pair["cpu"] = "256";
        var refused = await Refused(c => c.PostTargetAsync("AmazonEC2ContainerServiceV20141113", "RegisterTaskDefinition", pair, "1.1", default), AwsService.Ecs);
        Assert.Equal(("ClientException", "No Fargate configuration exists for given values."), (refused.Type, refused.AwsMessage));

        var misspelt = PublishedTaskDefinition("strict-case");
        misspelt["TaskRoleArn"] = misspelt["taskRoleArn"]!.DeepClone();
        var error = await Refused(c => c.PostTargetAsync("AmazonEC2ContainerServiceV20141113", "RegisterTaskDefinition", misspelt, "1.1", default), AwsService.Ecs);
        Assert.Equal("ValidationException", error.Type);
        Assert.Contains("'TaskRoleArn' is not a member of RegisterTaskDefinitionRequest", error.AwsMessage);
    }
}
