using System.Text;

namespace Quetzal.Sdk.Container;

public sealed record ContainerSettings
{
    public required string SdkVersion { get; init; }
    public required string BaseImage { get; init; }
    public bool HasRequirements { get; init; } = true;
    public bool HasLibrary { get; init; }
}

/// <summary>
/// The Dockerfile and .dockerignore of a model. The build context the SDK sends is the model folder filtered by
/// the .dockerignore, plus <see cref="SdkContextFolder"/>: the SDK's Lambda handler and, when asked, a local
/// quetzal library checkout; the parent folder is never sent.
/// </summary>
public static class ContainerFiles
{
    public const string SdkContextFolder = ".quetzal";
    public const string HandlerModule = "quetzal_handler";

    public static string Dockerfile(ContainerSettings settings)
    {
        var text = new StringBuilder(GeneratedFiles.Header(settings.SdkVersion));
        text.Append($"FROM {settings.BaseImage}\n\n");
        if (settings.HasRequirements)
        {
            text.Append("# Dependencies first, so that a change of model code reuses this layer.\n");
            text.Append("COPY requirements.txt ${LAMBDA_TASK_ROOT}/\n");
            text.Append("RUN pip install --no-cache-dir -r ${LAMBDA_TASK_ROOT}/requirements.txt --target ${LAMBDA_TASK_ROOT}\n\n");
        }
        if (settings.HasLibrary)
            text.Append($"COPY {SdkContextFolder}/library/ ${{LAMBDA_TASK_ROOT}}/\n");
        text.Append("COPY . ${LAMBDA_TASK_ROOT}/\n");
        text.Append($"# The Lambda handler is Quetzal.Sdk's own, versioned with the SDK; the SDK adds it to the build context.\n");
        text.Append($"COPY {SdkContextFolder}/handler/ ${{LAMBDA_TASK_ROOT}}/\n\n");
        text.Append($"CMD [\"{HandlerModule}.handler\"]\n");
        return text.ToString();
    }

    /// <summary>Files that hold secrets: never in an image, whatever a .dockerignore says (see <see cref="BuildContext"/>).</summary>
    public static readonly IReadOnlyList<string> SecretPatterns =
    [
        "**/.env", "**/.env.*", "**/.aws", "**/.docker", "**/.ssh", "**/.netrc", "**/.npmrc", "**/.pypirc", "**/.git-credentials",
        "**/credentials", "**/credentials.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/id_rsa*", "**/id_ecdsa*", "**/id_ed25519*",
    ];

    /// <summary>What never goes into an image: data (it comes from S3 at run time), build output, VCS, caches and secrets.</summary>
    public static readonly IReadOnlyList<string> IgnoredPatterns =
    [
        "# Scenario data comes from S3 at run time.",
        "scenarios",
        "# Build output and tools.",
        "bin", "obj", "*.binlog", ".vs", ".vscode", ".idea",
        "# Version control.",
        ".git", ".gitignore", ".svn", ".hg",
        "# Caches and environments.",
        "**/__pycache__", "**/*.pyc", "**/.ipynb_checkpoints", "**/.pytest_cache", "**/.mypy_cache", ".venv", "venv", "env",
        "# Secrets and credentials.",
        .. SecretPatterns,
    ];

    public static string DockerIgnore(ContainerSettings settings)
        => GeneratedFiles.Header(settings.SdkVersion) + string.Join("\n", IgnoredPatterns) + "\n";
}
