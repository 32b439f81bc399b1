namespace Quetzal.Sdk.Model;

/// <summary>The <c>${Name}</c> placeholders a state machine file may use; the SDK substitutes them at publish.</summary>
public static class Placeholders
{
    public static readonly IReadOnlyList<string> Names =
    [
        "AwsAccountId", "AwsRegion", "BucketName", "EcrRepositoryName", "EcsClusterArn", "EcsContainerName", "EcsTaskDefinitionArn", "EcsTaskDefinitionFamily",
        "LambdaFunctionArn", "LambdaFunctionName", "ModelName", "StateMachineName",
    ];

    /// <summary>The value of each placeholder for a model deployed to an account (a publish's, or a local run's pretend one).</summary>
    /// <param name="taskDefinitionArn">The task definition revision the Fargate states run (the one the publish registered); null: the family's first.</param>
    public static IReadOnlyDictionary<string, string> Values(ModelResources names, AwsAccount account, string? functionArn = null, string? taskDefinitionArn = null) => new Dictionary<string, string>
    {
        ["AwsAccountId"] = account.Id, ["AwsRegion"] = account.Region, ["BucketName"] = names.BucketName,
        ["EcrRepositoryName"] = names.RepositoryName,
        ["EcsClusterArn"] = account.ClusterArn(Fargate.ClusterName(names.ModelName)), ["EcsContainerName"] = Fargate.ContainerName(names.ModelName),
        ["EcsTaskDefinitionArn"] = taskDefinitionArn ?? account.TaskDefinitionArn(Fargate.Family(names.ModelName), 1), ["EcsTaskDefinitionFamily"] = Fargate.Family(names.ModelName),
        ["LambdaFunctionArn"] = functionArn ?? account.FunctionArn(names.FunctionName),
        ["LambdaFunctionName"] = names.FunctionName, ["ModelName"] = names.ModelName, ["StateMachineName"] = names.StateMachineName,
    };

    /// <summary>What the Fargate states of a model deployed to an account run on (null without Fargate settings).</summary>
    public static FargateDeployment? Deployment(IReadOnlyDictionary<string, string> values, FargateTask? task)
        => task is null ? null : new FargateDeployment(values["EcsClusterArn"], values["EcsTaskDefinitionArn"], values["EcsContainerName"], task);
}

/// <summary>Fills the placeholders of a state machine file with the values of the deployed resources.</summary>
public static class StateMachineRenderer
{
    /// <summary>The placeholders filled, then (for a model with Fargate settings) its Fargate states completed: what Step Functions runs.</summary>
    public static string Render(string definition, IReadOnlyDictionary<string, string> values, FargateTask? fargate)
    {
        var filled = Render(definition, values);
        return Placeholders.Deployment(values, fargate) is { } deployment ? Fargate.Complete(filled, deployment) : filled;
    }

    public static string Render(string definition, IReadOnlyDictionary<string, string> values)
        => System.Text.RegularExpressions.Regex.Replace(definition, @"\$\{([^}]*)\}", match =>
            values.TryGetValue(match.Groups[1].Value, out var value)
                ? System.Text.Json.JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString()
                : throw new Diagnostics.QuetzalException(Diagnostics.Codes.UnknownPlaceholder, match.Groups[1].Value, string.Join(", ", Placeholders.Names)));
}
