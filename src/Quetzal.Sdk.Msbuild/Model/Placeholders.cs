namespace Quetzal.Sdk.Model;

/// <summary>The <c>${Name}</c> placeholders a state machine file may use; the SDK substitutes them at publish.</summary>
public static class Placeholders
{
    public static readonly IReadOnlyList<string> Names =
    [
        "AwsAccountId", "AwsRegion", "BucketName", "EcrRepositoryName", "LambdaFunctionArn", "LambdaFunctionName", "ModelName", "StateMachineName",
    ];

    /// <summary>The value of each placeholder for a model deployed to an account (a publish's, or a local run's pretend one).</summary>
    public static IReadOnlyDictionary<string, string> Values(ModelResources names, Aws.AwsAccount account, string? functionArn = null) => new Dictionary<string, string>
    {
        ["AwsAccountId"] = account.Id, ["AwsRegion"] = account.Region, ["BucketName"] = names.BucketName,
        ["EcrRepositoryName"] = names.RepositoryName, ["LambdaFunctionArn"] = functionArn ?? account.FunctionArn(names.FunctionName),
        ["LambdaFunctionName"] = names.FunctionName, ["ModelName"] = names.ModelName, ["StateMachineName"] = names.StateMachineName,
    };
}

/// <summary>Fills the placeholders of a state machine file with the values of the deployed resources.</summary>
public static class StateMachineRenderer
{
    public static string Render(string definition, IReadOnlyDictionary<string, string> values)
        => System.Text.RegularExpressions.Regex.Replace(definition, @"\$\{([^}]*)\}", match =>
            values.TryGetValue(match.Groups[1].Value, out var value)
                ? System.Text.Json.JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString()
                : throw new Diagnostics.QuetzalException(Diagnostics.Codes.UnknownPlaceholder, match.Groups[1].Value, string.Join(", ", Placeholders.Names)));
}
