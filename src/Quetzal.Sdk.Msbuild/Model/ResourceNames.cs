namespace Quetzal.Sdk.Model;

/// <summary>
/// The names one model's AWS resources carry, as the original infra named them; infra/ creates them with the same
/// names (a test compares), and the publish relies on them.
/// </summary>
public static class ResourceNames
{
    public static string LambdaRole(string model) => $"lambda-{model}-role";
    public static string StateMachineRole(string model) => $"sfn-{model}-role";
    public static string CognitoUserRole(string model) => $"Cognito_quetzal_pool_{model}";
    public static string UserPolicy(string model) => $"s3_read_put_{model}";
    public static string LogGroup(string functionName) => $"/aws/lambda/{functionName}";
    /// <summary>The roles of the model's Fargate tasks: ECS's own (pull the image, write the logs) and the step's (the bucket).</summary>
    public static string EcsExecutionRole(string model) => $"ecs-{model}-execution-role";
    public static string EcsTaskRole(string model) => $"ecs-{model}-task-role";
}

/// <summary>The names of one model's AWS resources, as the project's properties set them.</summary>
public sealed record ModelResources(string ModelName, string BucketName, string RepositoryName, string FunctionName, string StateMachineName);
