using System.Text;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Container;

/// <summary>
/// What a model adds to its image beyond its code, requirements and library, as settings the generated Dockerfile
/// covers: system packages (QuetzalSystemPackages: GDAL, a compiler, fonts), installed with the base image's package
/// manager, and environment variables (QuetzalImageEnvironment). A Dockerfile taken over for one extra line loses the
/// base image setting, the build without a Docker engine and every later improvement of the generated one.
/// </summary>
public sealed partial record ImageAdditions(IReadOnlyList<string> SystemPackages, IReadOnlyList<KeyValuePair<string, string>> Environment)
{
    public static readonly ImageAdditions None = new([], []);

    public bool IsEmpty => SystemPackages.Count == 0 && Environment.Count == 0;

    /// <summary>
    /// The settings as typed: packages separated by spaces, commas or semicolons; variables as NAME=value separated by
    /// semicolons. What a Dockerfile cannot hold safely is reported (QTZ1013) and left out.
    /// </summary>
    public static ImageAdditions Parse(string? packages, string? environment, string projectFile, ICollection<Diagnostic> problems)
    {
        var names = new List<string>();
        foreach (var name in (packages ?? "").Split([' ', '\t', '\n', '\r', ',', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (PackageName().IsMatch(name)) { if (!names.Contains(name)) names.Add(name); }
            else problems.Add(Codes.ImageAdditionInvalid.Create(projectFile, "QuetzalSystemPackages", name, "a package name is letters, digits and . _ + - : ~ @ = (no spaces, quotes or shell characters)"));
        }
        var variables = new List<KeyValuePair<string, string>>();
        foreach (var entry in (environment ?? "").Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var text = entry.Trim('\r', ' ', '\t');
            if (text.Length == 0) continue;
            var equals = text.IndexOf('=');
            var name = equals > 0 ? text[..equals].Trim() : text;
            if (equals <= 0 || !VariableName().IsMatch(name))
                problems.Add(Codes.ImageAdditionInvalid.Create(projectFile, "QuetzalImageEnvironment", text, "each entry is NAME=value (a name of letters, digits and _, not starting with a digit), entries separated by ';'"));
            else if (Reserved.Contains(name))
                problems.Add(Codes.ImageAdditionInvalid.Create(projectFile, "QuetzalImageEnvironment", text, $"{name} is set by Lambda or the SDK's runner"));
            else
                variables.Add(new(name, text[(equals + 1)..].Trim()));
        }
        return new ImageAdditions(names, variables);
    }

    /// <summary>Names Lambda, its base image and the runner set: overriding them breaks the function.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API", "_HANDLER", "BUCKET_NAME", "TIME_LIMIT", "MODEL_TAG",
    };

    /// <summary>The Dockerfile's lines for these additions (empty when there are none).</summary>
    public string DockerfileLines()
    {
        var text = new StringBuilder();
        if (Environment.Count > 0)
        {
            text.Append("# Environment variables (QuetzalImageEnvironment).\n");
            text.Append("ENV ").AppendJoin(" \\\n    ", Environment.Select(v => $"{v.Key}=\"{Escape(v.Value)}\"")).Append('\n');
        }
        if (SystemPackages.Count > 0)
        {
            var list = string.Join(' ', SystemPackages);
            // The Lambda Python base images have dnf (3.12 and later, Amazon Linux 2023) or yum (3.11 and earlier); a
            // Debian or Alpine base has apt-get or apk. Caches are cleaned in the same layer.
            text.Append("# System packages (QuetzalSystemPackages), with the base image's package manager.\n");
            text.Append("RUN if command -v dnf > /dev/null 2>&1; then dnf install -y ").Append(list).Append(" && dnf clean all; \\\n");
            text.Append("    elif command -v microdnf > /dev/null 2>&1; then microdnf install -y ").Append(list).Append(" && microdnf clean all; \\\n");
            text.Append("    elif command -v yum > /dev/null 2>&1; then yum install -y ").Append(list).Append(" && yum clean all && rm -rf /var/cache/yum; \\\n");
            text.Append("    elif command -v apt-get > /dev/null 2>&1; then apt-get update && apt-get install -y --no-install-recommends ").Append(list).Append(" && rm -rf /var/lib/apt/lists/*; \\\n");
            text.Append("    elif command -v apk > /dev/null 2>&1; then apk add --no-cache ").Append(list).Append("; \\\n");
            text.Append("    else echo 'QuetzalSystemPackages: the base image has no dnf, microdnf, yum, apt-get or apk' >&2; exit 1; fi\n");
        }
        return text.ToString();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._+:~@=-]*$")]
    private static partial Regex PackageName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
