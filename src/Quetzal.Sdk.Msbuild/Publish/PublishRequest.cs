using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

[Flags]
public enum PublishSteps { None = 0, Image = 1, Lambda = 2, StateMachine = 4, Scenarios = 8, TaskDefinition = 16, All = Image | Lambda | TaskDefinition | StateMachine | Scenarios }

/// <summary>What to publish: the model's folder and settings, as the project gives them (its defaults are Sdk.targets').</summary>
public sealed record PublishRequest
{
    public required string ModelDirectory { get; init; }
    public required ModelResources Names { get; init; }
    public required int MemorySize { get; init; }
    public required int Timeout { get; init; }
    public required int EphemeralStorage { get; init; }
    public required string StateMachinePath { get; init; }
    public required string ScenariosDirectory { get; init; }
    public required IReadOnlyList<string> Scenarios { get; init; }
    public required string HandlerDirectory { get; init; }
    /// <summary>What the SDK writes in the model folder (obj/, bin/, the tfvars): never in the image, whatever the .dockerignore says.</summary>
    public IReadOnlyList<string> SdkState { get; init; } = [];
    public string? LibraryPath { get; init; }
    /// <summary>The model's Fargate task settings when a step runs on Fargate; null: the model has no Fargate step (no task definition, no steps.json).</summary>
    public FargateTask? Fargate { get; init; }
    public string? ImageTag { get; init; }
    public bool Prune { get; init; }
    public bool DryRun { get; init; }
    public PublishSteps Steps { get; init; } = PublishSteps.All;
    public TimeSpan LambdaWait { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How many model versions a publish keeps (QuetzalVersionsToKeep); older ones are removed unless a run uses them.</summary>
    public int VersionsToKeep { get; init; } = 10;
    /// <summary>How long to wait for another publish of the model (another folder or machine) to release the bucket lease.</summary>
    public required TimeSpan LeaseTimeout { get; init; }
    /// <summary>Where what is known of the scenario files' contents is kept between publishes (see <see cref="Aws.FileDigests"/>); null: nowhere.</summary>
    public string? DigestsFile { get; init; }
    /// <summary>Where the image's content tags are kept by the fingerprint of their files (see <see cref="Container.ContentTags"/>); null: nowhere.</summary>
    public string? ContentTagsFile { get; init; }
    /// <summary>Who publishes: the user_email metadata of every object, and info.json's last_modified_email.</summary>
    public string? UserEmail { get; init; }
    /// <summary>Descriptions the project gives scenarios (QuetzalScenario's Description metadata), by scenario.</summary>
    public IReadOnlyDictionary<string, string> Descriptions { get; init; } = new Dictionary<string, string>();
    /// <summary>The files of the model's _common/ prefix (lock.json, modelConfig.json, docs/), with their keys under it.</summary>
    public IReadOnlyList<(string Path, string Relative)> CommonFiles { get; init; } = [];
}

/// <summary>Who publishes, when the project does not say (QuetzalUserEmail).</summary>
public static class Publisher
{
    /// <summary>git's user.email (what a modeller's commits carry), else user@machine.</summary>
    public static string DefaultEmail()
        => Git(null, "config --get user.email", 3000) is { } email && email.Contains('@') ? email
            : $"{Environment.UserName}@{Environment.MachineName.ToLowerInvariant()}";

    /// <summary>What git prints (trimmed) in a folder (null: the current one), or null when git fails, is missing or takes longer than the wait.</summary>
    public static string? Git(string? directory, string arguments, int waitMilliseconds)
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (directory is not null) start.WorkingDirectory = directory;
            using var git = System.Diagnostics.Process.Start(start);
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEndAsync();
            _ = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(waitMilliseconds) || git.ExitCode != 0) return null;
            return output.Result.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            // No git.
            return null;
        }
    }
}
