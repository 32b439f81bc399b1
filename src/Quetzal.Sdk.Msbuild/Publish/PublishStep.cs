using Quetzal.Sdk.Model;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// One resource of a deployment. Planning reads the deployment and decides (create, update, unchanged) without
/// writing anything; applying carries out that plan. A dry run is every step's plan; a publish plans every step,
/// takes the model's lease, then applies the plans in order. A new AWS resource is a new step.
/// </summary>
public interface IPublishStep
{
    Task<StepPlan> PlanAsync(PublishContext context, CancellationToken cancellation);

    /// <summary>Carries out a plan that has writes; returns the summary lines of what was done.</summary>
    Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, StepPlan plan, CancellationToken cancellation);
}

/// <summary>
/// A step whose resource takes part in a release (a new model version): given the release after every step has
/// planned, it returns the plan that makes that version (the image's version tag, the Lambda version, the task
/// definition revision, the state machine version), which always writes.
/// </summary>
public interface IReleaseStep
{
    StepPlan ForRelease(PublishContext context, StepPlan plan, Release release);
}

/// <summary>A step's decision: whether it writes, and the summary lines that say what it found or would do.</summary>
public record StepPlan(bool HasWrites, IReadOnlyList<string> Lines)
{
    public StepPlan(bool hasWrites, string line) : this(hasWrites, [line]) { }
}

/// <summary>The typed form of a step: its own plan type in, the same plan out.</summary>
public abstract class PublishStep<TPlan> : IPublishStep where TPlan : StepPlan
{
    public abstract Task<TPlan> PlanAsync(PublishContext context, CancellationToken cancellation);
    public abstract Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, TPlan plan, CancellationToken cancellation);

    async Task<StepPlan> IPublishStep.PlanAsync(PublishContext context, CancellationToken cancellation) => await PlanAsync(context, cancellation);
    Task<IReadOnlyList<string>> IPublishStep.ApplyAsync(PublishContext context, StepPlan plan, CancellationToken cancellation) => ApplyAsync(context, (TPlan)plan, cancellation);
}

/// <summary>What the steps of one publish share: the request, the clients, and what earlier reads and writes learnt.</summary>
public sealed class PublishContext(PublishRequest request, IAwsClients clients, IPublishLog log)
{
    public PublishRequest Request { get; } = request;
    public IAwsClients Clients { get; } = clients;
    public IPublishLog Log { get; } = log;

    /// <summary>The model's ECR repository (null when it does not exist), read first: it gives the account.</summary>
    public EcrRepository? Repository { get; set; }

    /// <summary>The account the model deploys to, from the repository (or the function) once read.</summary>
    public AwsAccount? Account { get; set; }

    /// <summary>repository@digest of the model's image: known when planning if the registry has it, else once the image step has pushed it.</summary>
    public string? ImageUri { get; set; }

    /// <summary>The ARN of the model's function, as Lambda says it (or as it will be).</summary>
    public string? FunctionArn { get; set; }

    /// <summary>The task definition revision the Fargate steps run: the latest one when unchanged, else the one registered (or, when planning, the next).</summary>
    public string? TaskDefinitionArn { get; set; }

    /// <summary>The tag that names the deployed image (the release's, else the deployed version's, else QuetzalImageTag or the content tag): info.json's model_tag and the Fargate task's MODEL_TAG. Null when the image is not planned.</summary>
    public string? ModelTag { get; set; }

    /// <summary>The tag of the image $LATEST runs when it names one (repo:v12 → v12), read by the Lambda step.</summary>
    public string? CurrentTag { get; set; }

    /// <summary>The model version this publish makes, when it changes what runs; null for a publish that changes no deployed code.</summary>
    public Release? Release { get; set; }

    /// <summary>The state machine's versions as read when the release was decided (newest first); empty before.</summary>
    public IReadOnlyList<ReleaseEntry> History { get; set; } = [];

    private readonly System.Diagnostics.Stopwatch _versioning = new();

    /// <summary>Time spent on versions alone (the history read, the version tag, PublishVersion, the version list, retention): what versioning adds to a publish.</summary>
    public TimeSpan Versioning => _versioning.Elapsed;

    /// <summary>Counts the time until disposed as versioning's.</summary>
    public IDisposable TimeVersioning()
    {
        _versioning.Start();
        return new Stop(_versioning);
    }

    private sealed class Stop(System.Diagnostics.Stopwatch watch) : IDisposable
    {
        public void Dispose() => watch.Stop();
    }

    /// <summary>The release's image: the repository and its version tag.</summary>
    public string ReleaseImageUri(Release release) => $"{Repository!.Uri}:{release.Tag}";

    /// <summary>The registry's login, once the image step has it: to read which digest a tag names.</summary>
    public Container.RegistryCredentials? RegistryLogin { get; set; }

    /// <summary>The scenarios step's plan: which scenarios a publish changes (their info.json then says who and when).</summary>
    public IReadOnlyList<ScenarioPlan>? ScenarioPlans { get; set; }

    private Task<BuildContext>? _imageContext;
    private ContentTags? _contentTags;

    /// <summary>The record of content tags (obj/quetzal/content-tags.tsv), one instance for the whole publish.</summary>
    public ContentTags ContentTags => _contentTags ??= ContentTags.Load(Request.ContentTagsFile);

    /// <summary>Where the record of the image last published from this folder is kept (beside the content tags; see <see cref="Container.ImageInputs"/>).</summary>
    public string? ImageInputsFile => Request.ContentTagsFile is { } tags ? Path.Combine(Path.GetDirectoryName(tags)!, "image-inputs.tsv") : null;

    private ImageInputs? _imageInputs;
    private bool _imageInputsRead;

    /// <summary>The record of the image last published from this folder, or null.</summary>
    public ImageInputs? ImageInputs
    {
        get
        {
            if (!_imageInputsRead) (_imageInputs, _imageInputsRead) = (ImageInputs.Load(ImageInputsFile), true);
            return _imageInputs;
        }
    }

    /// <summary>
    /// The image's build context (its content tag says whether the registry has the image), made once, on a thread of
    /// its own from the first ask: the pipeline asks before the AWS reads, so reading the files overlaps them.
    /// </summary>
    public Task<BuildContext> ImageContext
    {
        get
        {
            if (_imageContext is not null) return _imageContext;
            var tags = ContentTags;
            var rules = ContextRules.For(Request.ModelDirectory, Request.ScenariosDirectory, Request.SdkState);
            return _imageContext = Task.Run(() => BuildContext.Create(Request.ModelDirectory, Request.HandlerDirectory, Request.LibraryPath, rules, tags));
        }
    }
}
