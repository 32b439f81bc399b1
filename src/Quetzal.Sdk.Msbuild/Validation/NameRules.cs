using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Quetzal.Sdk.Validation;

/// <summary>The naming rules of the AWS resources a model becomes. Each returns null when the name is valid, else why not.</summary>
public static partial class NameRules
{
    /// <summary>S3 general purpose bucket naming rules.</summary>
    public static string? BucketName(string name)
    {
        if (name.Length is < 3 or > 63) return $"it has {name.Length} characters, not 3 to 63";
        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
                return c is >= 'A' and <= 'Z' ? "it has uppercase letters" : $"it contains '{Printable(c)}'";
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
            return "it must start and end with a letter or digit";
        if (IPAddress.TryParse(name, out _)) return "it looks like an IP address";
        if (name.StartsWith("xn--", StringComparison.Ordinal) || name.StartsWith("sthree-", StringComparison.Ordinal))
            return "it starts with a prefix S3 reserves (xn--, sthree-)";
        if (name.EndsWith("-s3alias", StringComparison.Ordinal) || name.EndsWith("--ol-s3", StringComparison.Ordinal) || name.EndsWith("--x-s3", StringComparison.Ordinal))
            return "it ends with a suffix S3 reserves (-s3alias, --ol-s3, --x-s3)";
        return null;
    }

    /// <summary>ECR repository names: 2-256 characters, lowercase path segments separated by '/', '.', '_' or '-'.</summary>
    public static string? RepositoryName(string name)
    {
        if (name.Length is < 2 or > 256) return $"it has {name.Length} characters, not 2 to 256";
        return RepositoryPattern().IsMatch(name) ? null : "use lowercase letters and digits, separated by single '.', '_', '-' or '/'";
    }

    /// <summary>Lambda function names: 1-64 letters, digits, hyphens and underscores.</summary>
    public static string? FunctionName(string name)
    {
        if (name.Length is < 1 or > 64) return $"it has {name.Length} characters, not 1 to 64";
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return $"it contains '{Printable(c)}'; use letters, digits, '-' and '_'";
        return null;
    }

    /// <summary>Step Functions state machine names: 1-80 characters without white space, brackets, wildcards or punctuation it reserves.</summary>
    public static string? StateMachineName(string name)
    {
        if (name.Length is < 1 or > 80) return $"it has {name.Length} characters, not 1 to 80";
        foreach (var c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || "<>{}[]?*\"#%\\^|~`$&,;:/".Contains(c))
                return $"it contains '{Printable(c)}'";
        }
        return null;
    }

    public static bool IsRegion(string region) => RegionPattern().IsMatch(region);

    public static bool IsImageTag(string tag) => ImageTagPattern().IsMatch(tag);

    /// <summary>A scenario becomes the S3 prefix '&lt;scenario&gt;/': it must be one path segment that S3 and every OS keep as is.</summary>
    public static string? ScenarioName(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > 200) return "it is longer than 200 characters";
        if (name != name.Trim()) return "it starts or ends with white space";
        if (name.Contains("..", StringComparison.Ordinal)) return "it contains '..'";
        if (name == ".") return "it is '.'";
        foreach (var c in name)
        {
            if (c is '/' or '\\') return $"it contains the separator '{c}'";
            if (char.IsControl(c)) return "it contains a control character";
        }
        return null;
    }

    /// <summary>Parses a Lambda limit; returns null when valid, else a reason.</summary>

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    [GeneratedRegex(@"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ImageTagPattern();
}
