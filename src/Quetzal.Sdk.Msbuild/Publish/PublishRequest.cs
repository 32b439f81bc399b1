using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

[Flags]
public enum PublishSteps { None = 0, Image = 1, Lambda = 2, StateMachine = 4, Scenarios = 8, All = Image | Lambda | StateMachine | Scenarios }

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
    public string? ImageTag { get; init; }
    public bool Prune { get; init; }
    public bool DryRun { get; init; }
    public PublishSteps Steps { get; init; } = PublishSteps.All;
    public TimeSpan LambdaWait { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long to wait for another publish of the model (another folder or machine) to release the bucket lease.</summary>
    public required TimeSpan LeaseTimeout { get; init; }
    /// <summary>Where what is known of the scenario files' contents is kept between publishes (see <see cref="Aws.FileDigests"/>); null: nowhere.</summary>
    public string? DigestsFile { get; init; }
}
