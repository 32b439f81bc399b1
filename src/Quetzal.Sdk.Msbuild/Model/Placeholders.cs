namespace Quetzal.Sdk.Model;

/// <summary>The <c>${Name}</c> placeholders a state machine file may use; the SDK substitutes them at publish.</summary>
public static class Placeholders
{
    public static readonly IReadOnlyList<string> Names =
    [
        "AwsAccountId", "AwsRegion", "BucketName", "EcrRepositoryName", "LambdaFunctionArn", "LambdaFunctionName", "ModelName", "StateMachineName",
    ];
}
