using Quetzal.Sdk.Core;
using System.Text;

namespace Quetzal.Sdk.Container;

public sealed record ContainerSettings
{
    public required string SdkVersion { get; init; }
    public required string BaseImage { get; init; }
    public bool HasRequirements { get; init; } = true;
    public bool HasLibrary { get; init; }
    public ImageAdditions Additions { get; init; } = ImageAdditions.None;
}

/// <summary>
/// The Dockerfile and .dockerignore of a model. The build context the SDK sends is the model folder filtered by
/// the .dockerignore, under <see cref="ModelContextFolder"/>, beside the SDK's runner and, when asked, a local quetzal
/// library checkout, all under <see cref="SdkContextFolder"/>; the parent folder is never sent. The Dockerfile copies
/// each in its own layer, in the order things change: dependencies, library, runner, model code, so that a step edit
/// rebuilds and pushes the model's layer only, and nothing goes into the image twice.
/// </summary>
public static class ContainerFiles
{
    public const string SdkContextFolder = ".quetzal";
    /// <summary>Where the model's files are in the build context of a Dockerfile that copies them from there (the generated one does).</summary>
    public const string ModelContextFolder = SdkContextFolder + "/model";
    public const string HandlerModule = "quetzal_handler";
    /// <summary>The library (QuetzalLibraryPath) as one archive in the build context, which the Dockerfile ADDs (extracted).</summary>
    public const string LibraryArchive = SdkContextFolder + "/library.tar";

    public static string Dockerfile(ContainerSettings settings)
    {
        var text = new StringBuilder(GeneratedFiles.Header(settings.SdkVersion));
        text.Append($"FROM {settings.BaseImage}\n");
        // First: it never changes, so no code change rebuilds it (after the last COPY it would be one more step each time).
        text.Append($"CMD [\"{HandlerModule}.handler\"]\n\n");
        text.Append("# Each part in its own layer, in the order things change: a step edit rebuilds and pushes only the last one.\n");
        text.Append(settings.Additions.DockerfileLines());
        if (settings.HasRequirements)
        {
            text.Append("# Dependencies.\n");
            text.Append($"COPY {ModelContextFolder}/requirements.txt ${{LAMBDA_TASK_ROOT}}/\n");
            text.Append("RUN pip install --no-cache-dir -r ${LAMBDA_TASK_ROOT}/requirements.txt --target ${LAMBDA_TASK_ROOT}\n");
        }
        if (settings.HasLibrary)
        {
            text.Append("# The quetzal library (QuetzalLibraryPath), sent as one archive that ADD extracts.\n");
            text.Append($"ADD {LibraryArchive} ${{LAMBDA_TASK_ROOT}}/\n");
        }
        text.Append("# Quetzal.Sdk's runner (the Lambda handler and the container entry point), versioned with the SDK.\n");
        text.Append($"COPY {SdkContextFolder}/handler/ ${{LAMBDA_TASK_ROOT}}/\n");
        text.Append("# The model's code.\n");
        text.Append($"COPY {ModelContextFolder}/ ${{LAMBDA_TASK_ROOT}}/\n");
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
        "# Build output and tools (infra/: the model's Terraform root, with terraform init's providers).",
        "bin", "obj", "*.binlog", ".vs", ".vscode", ".idea", "infra",
        "# Version control.",
        ".git", ".gitignore", ".svn", ".hg",
        "# Caches and environments.",
        "**/__pycache__", "**/*.pyc", "**/.ipynb_checkpoints", "**/.pytest_cache", "**/.mypy_cache", ".venv", "venv", "env",
        "# Secrets and credentials.",
        .. SecretPatterns,
    ];

    /// <summary>
    /// What of a quetzal library checkout (QuetzalLibraryPath) never goes into an image: what a Python package does
    /// not run with (version control, caches, build output, wheels, its tests, its infra and docker folders, notebooks'
    /// checkpoints, environments) and secrets; the library's own .dockerignore comes on top.
    /// </summary>
    public static readonly IReadOnlyList<string> LibraryPatterns =
    [
        ".git", ".gitignore", ".gitattributes", ".github", ".gitlab", ".gitlab-ci.yml", ".svn", ".hg",
        "**/__pycache__", "**/*.pyc", "**/*.pyo", "**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache", "**/.tox", "**/.nox",
        "**/.ipynb_checkpoints", "**/*.egg-info", ".eggs", "build", "dist", "**/*.whl", "**/wheels", "**/wheelhouse",
        "**/tests", "**/test", "infra", "terraform", "docker", "**/Dockerfile", "**/.dockerignore",
        ".venv", "venv", "env", ".vs", ".vscode", ".idea",
        .. SecretPatterns,
    ];

    public static string DockerIgnore(ContainerSettings settings)
        => GeneratedFiles.Header(settings.SdkVersion) + string.Join("\n", IgnoredPatterns) + "\n";
}
