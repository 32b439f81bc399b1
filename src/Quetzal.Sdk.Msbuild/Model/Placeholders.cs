namespace Quetzal.Sdk.Model;

/// <summary>The <c>${Name}</c> placeholders a state machine file may use; the SDK substitutes them at publish.</summary>
public static class Placeholders
{
    public static readonly IReadOnlyList<string> Names =
    [
        "AwsAccountId", "AwsRegion", "BucketName", "EcrRepositoryName", "LambdaFunctionArn", "LambdaFunctionName", "ModelName", "StateMachineName",
    ];
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
