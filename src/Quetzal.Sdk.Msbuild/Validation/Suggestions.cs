using System.Text.RegularExpressions;

namespace Quetzal.Sdk.Validation;

/// <summary>What a message can suggest: the nearest existing name, and the SDK's placeholder for one of the original templates'.</summary>
public static partial class Suggestions
{
    /// <summary>The candidate nearest to <paramref name="wanted"/> (case-insensitive edit distance), if near enough to be a typo.</summary>
    public static string? Nearest(string wanted, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(wanted.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance) (best, bestDistance) = (candidate, distance);
        }
        return best is not null && bestDistance > 0 && bestDistance <= Math.Max(2, wanted.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>The original templates' placeholders, by their letters alone, and the SDK's placeholder for each.</summary>
    private static readonly Dictionary<string, string> Original = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lambdafunctionarn"] = "LambdaFunctionArn", ["functionarn"] = "LambdaFunctionArn", ["lambdaarn"] = "LambdaFunctionArn",
        ["lambdafunctionname"] = "LambdaFunctionName", ["functionname"] = "LambdaFunctionName",
        ["modelname"] = "ModelName", ["yourmodelname"] = "ModelName", ["quetzalmodelname"] = "ModelName",
        ["bucketname"] = "BucketName", ["awsbucketname"] = "BucketName",
        ["region"] = "AwsRegion", ["awsregion"] = "AwsRegion",
        ["accountid"] = "AwsAccountId", ["awsaccountid"] = "AwsAccountId",
        ["ecrreponame"] = "EcrRepositoryName", ["awsecrreponame"] = "EcrRepositoryName",
    };

    [GeneratedRegex(@"<([A-Za-z][A-Za-z0-9_-]*)>")]
    private static partial Regex AngleName();

    /// <summary>The first placeholder of the original templates in <paramref name="text"/> (as written, and the SDK's form), or null.</summary>
    public static (string Written, string Placeholder, int Index)? OriginalPlaceholder(string text)
    {
        foreach (Match match in AngleName().Matches(text))
            if (Original.TryGetValue(match.Groups[1].Value.Replace("_", "").Replace("-", ""), out var name))
                return (match.Value, "${" + name + "}", match.Index);
        return null;
    }
}
