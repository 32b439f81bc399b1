namespace Quetzal.Sdk.Model;

/// <summary>
/// The ARNs of one account's resources, built in one place for the publish, the local run and the interpreter:
/// partition-aware (aws, aws-cn, aws-us-gov) from the region.
/// </summary>
public sealed record AwsAccount(string Region, string Id)
{
    /// <summary>The account a local run pretends to deploy to.</summary>
    public static AwsAccount Local(string region) => new(region, "000000000000");

    public string Partition => PartitionOf(Region);

    public static string PartitionOf(string region)
        => region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";

    public string FunctionArn(string function) => $"arn:{Partition}:lambda:{Region}:{Id}:function:{function}";
    public string RoleArn(string role) => $"arn:{Partition}:iam::{Id}:role/{role}";
    public string StateMachineArn(string stateMachine) => $"arn:{Partition}:states:{Region}:{Id}:stateMachine:{stateMachine}";
    public string ClusterArn(string cluster) => $"arn:{Partition}:ecs:{Region}:{Id}:cluster/{cluster}";
    public string TaskDefinitionArn(string family, int revision) => $"arn:{Partition}:ecs:{Region}:{Id}:task-definition/{family}:{revision}";

    /// <summary>The account of an ARN (its fifth field), or null when it is not an ARN.</summary>
    public static string? AccountOf(string arn) => arn.Split(':') is { Length: > 5 } parts && parts[0] == "arn" ? parts[4] : null;

    /// <summary>Whether a Task's Resource names a Lambda function directly, in any partition.</summary>
    public static bool IsFunctionArn(string resource) => resource.Split(':') is { Length: > 6 } parts && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function";
}
