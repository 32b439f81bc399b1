using System.Text.Json.Nodes;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Aws;

[Flags]
public enum PublishSteps { None = 0, Image = 1, Lambda = 2, StateMachine = 4, Scenarios = 8, All = Image | Lambda | StateMachine | Scenarios }

public sealed record PublishRequest
{
    public required string ModelDirectory { get; init; }
    public required string ModelName { get; init; }
    public required string BucketName { get; init; }
    public required string RepositoryName { get; init; }
    public required string FunctionName { get; init; }
    public required string StateMachineName { get; init; }
    public required int MemorySize { get; init; }
    public required int Timeout { get; init; }
    public required int EphemeralStorage { get; init; }
    public required string StateMachinePath { get; init; }
    public required string ScenariosDirectory { get; init; }
    public required IReadOnlyList<string> Scenarios { get; init; }
    public required string HandlerDirectory { get; init; }
    public string? LibraryPath { get; init; }
    public string? ImageTag { get; init; }
    public bool Prune { get; init; }
    public bool DryRun { get; init; }
    public PublishSteps Steps { get; init; } = PublishSteps.All;
    public TimeSpan LambdaWait { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long to wait for another publish of the model (another folder or machine) to release the bucket lease.</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Where what is known of the scenario files' contents is kept between publishes (see <see cref="FileDigests"/>); null: nowhere.</summary>
    public string? DigestsFile { get; init; }
}

/// <summary>
/// The publish pipeline, in the order that keeps a deployment consistent: the image is fully pushed before the
/// Lambda points at it (by digest), the state machine changes only after the Lambda update succeeded, and base is
/// published before the other scenarios. Every step first reads, then writes only what differs; a dry run stops
/// after the reads and reports the plan.
/// </summary>
public sealed class ModelPublisher(AwsSettings settings, IPublishLog log)
{
    private readonly List<string> _summary = new();

    public IReadOnlyList<string> Summary => _summary;

    private BucketLease? _lease;
    private bool _leaseTaken;

    /// <summary>What another publish, which held the bucket lease while this one read, may have changed: read again.</summary>
    private sealed class ReadAgainException : Exception;

    public async Task PublishAsync(PublishRequest request, CancellationToken cancellation)
    {
        try
        {
            while (true)
            {
                try
                {
                    await PublishOnceAsync(request, cancellation);
                    return;
                }
                catch (ReadAgainException)
                {
                    log.Info($"Quetzal: the other publish of {request.ModelName} ended; reading the deployment again");
                    _summary.Clear();
                }
            }
        }
        finally
        {
            if (_lease is not null) await _lease.DisposeAsync();
        }
    }

    /// <summary>
    /// Called before each write: the first one takes the model's bucket lease (so a publish that finds nothing to
    /// change writes nothing, not even a lease). If another publish held it, this one starts again, holding it.
    /// </summary>
    private async Task BeforeWriteAsync(PublishRequest request, CancellationToken cancellation)
    {
        if (_leaseTaken) return;
        _leaseTaken = true;
        _lease = await BucketLease.AcquireAsync(settings, request.BucketName, request.ModelName, request.LeaseTimeout, log, cancellation);
        if (_lease?.Waited == true) throw new ReadAgainException();
    }

    private async Task PublishOnceAsync(PublishRequest request, CancellationToken cancellation)
    {
        // The scenario plan only reads (the bucket's listing; the local files' hashes where the record of earlier
        // publishes does not tell): it starts now, beside the image, Lambda and state machine steps (most of a no-op
        // publish is the S3 client's first use), and is applied after them, so the order of the writes, and what a
        // failure leaves untouched, are unchanged.
        using var scenarios = request.Steps.HasFlag(PublishSteps.Scenarios)
            ? new ScenarioPublisher(settings, log) { Digests = request.DigestsFile is { } digests ? FileDigests.Load(digests) : FileDigests.None() }
            : null;
        var plan = scenarios is null ? null
            : Task.Run(() => scenarios.PlanAsync(request.BucketName, request.ScenariosDirectory, request.Scenarios, request.Prune, cancellation), cancellation);
        try
        {
            await PublishServicesAsync(request, cancellation);
        }
        catch
        {
            // The first failure is the one reported; the plan's own outcome no longer matters.
            if (plan is not null) await plan.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        if (scenarios is not null) await PublishScenariosAsync(request, scenarios, await plan!, cancellation);
    }

    private async Task PublishServicesAsync(PublishRequest request, CancellationToken cancellation)
    {
        using var ecr = new EcrClient(settings);
        var repository = await AwsCall.Run(() => ecr.DescribeRepositoryAsync(request.RepositoryName, cancellation))
            ?? throw new QuetzalException(Codes.RepositoryMissing, request.RepositoryName);
        var account = repository.RegistryId;
        var partition = settings.Region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : settings.Region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";

        var imageUri = await PublishImageAsync(request, ecr, repository, cancellation);
        var functionArn = $"arn:{partition}:lambda:{settings.Region}:{account}:function:{request.FunctionName}";
        if (request.Steps.HasFlag(PublishSteps.Lambda))
            functionArn = await PublishLambdaAsync(request, imageUri, $"arn:{partition}:iam::{account}:role/{ResourceNames.LambdaRole(request.ModelName)}", functionArn, cancellation);
        if (request.Steps.HasFlag(PublishSteps.StateMachine))
            await PublishStateMachineAsync(request, new Dictionary<string, string>
            {
                ["AwsAccountId"] = account, ["AwsRegion"] = settings.Region, ["BucketName"] = request.BucketName,
                ["EcrRepositoryName"] = request.RepositoryName, ["LambdaFunctionArn"] = functionArn, ["LambdaFunctionName"] = request.FunctionName,
                ["ModelName"] = request.ModelName, ["StateMachineName"] = request.StateMachineName,
            }, $"arn:{partition}:iam::{account}:role/{ResourceNames.StateMachineRole(request.ModelName)}",
                $"arn:{partition}:states:{settings.Region}:{account}:stateMachine:{request.StateMachineName}", cancellation);
    }

    /// <summary>Returns repository@digest of the image the model's current files make (built and pushed when the registry lacks it).</summary>
    private async Task<string?> PublishImageAsync(PublishRequest request, EcrClient ecr, EcrRepository repository, CancellationToken cancellation)
    {
        if ((request.Steps & (PublishSteps.Image | PublishSteps.Lambda)) == 0) return null;
        var context = BuildContext.Create(request.ModelDirectory, request.HandlerDirectory, request.LibraryPath);
        var login = await AwsCall.Run(() => ecr.GetAuthorizationTokenAsync(cancellation));
        using var registry = new RegistryClient(login);
        var repositoryPath = repository.Uri[(repository.Uri.IndexOf('/') + 1)..];
        var existing = await registry.HeadManifestAsync(repositoryPath, context.ContentTag, cancellation);
        log.Detail($"Build context: {context.Entries.Count} files, {Bytes.Format(context.FileBytes)}; content tag {context.ContentTag}.");

        if (existing is null && request.Steps.HasFlag(PublishSteps.Image))
        {
            if (request.DryRun)
            {
                Report($"Image: new ({repository.Uri}:{context.ContentTag}, {context.Entries.Count} files, {Bytes.Format(context.FileBytes)} of context); would build and push.");
                return null;
            }
            await BeforeWriteAsync(request, cancellation);
            using var builder = new ImageBuilder(log);
            await builder.EnsureAvailableAsync(cancellation);
            var local = $"{request.RepositoryName}:{context.ContentTag}";
            log.Info($"Building image {local} ({context.Entries.Count} files, {Bytes.Format(context.FileBytes)} of context)");
            await builder.BuildAsync(context, local, cancellation);
            log.Info($"Pushing {repository.Uri}:{context.ContentTag}");
            await builder.PushAsync(local, repository.Uri, context.ContentTag, login, cancellation);
            existing = await registry.HeadManifestAsync(repositoryPath, context.ContentTag, cancellation)
                ?? throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the registry does not show the pushed tag");
            Report($"Image: pushed {repository.Uri}@{existing.Digest}{await TagAsync(request, registry, repository.Uri, repositoryPath, existing, cancellation)}");
        }
        else if (existing is null)
        {
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry has no image {context.ContentTag} for the current model files; publish the image first (-t:QuetzalPublishImage)");
        }
        else
        {
            var tagged = request.Steps.HasFlag(PublishSteps.Image) ? await TagAsync(request, registry, repository.Uri, repositoryPath, existing, cancellation) : "";
            Report($"Image: unchanged ({repository.Uri}@{existing.Digest}){tagged}");
        }
        if (existing.IsIndex)
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the tag names an image index; Lambda needs a single-platform image manifest");
        return $"{repository.Uri}@{existing.Digest}";
    }

    /// <summary>
    /// Makes QuetzalImageTag name the image, through the registry's API (the manifest put again under the tag), so
    /// that it works on a machine whose engine never built the image. Returns what to add to the summary line.
    /// </summary>
    private async Task<string> TagAsync(PublishRequest request, RegistryClient registry, string repositoryUri, string repositoryPath, RegistryClient.Manifest image, CancellationToken cancellation)
    {
        if (string.IsNullOrEmpty(request.ImageTag)) return "";
        if ((await registry.HeadManifestAsync(repositoryPath, request.ImageTag, cancellation))?.Digest == image.Digest) return $"; tag {request.ImageTag} names it";
        if (request.DryRun) return $"; would tag it {request.ImageTag}";
        await BeforeWriteAsync(request, cancellation);
        var (tagged, refusal) = await registry.TagAsync(repositoryPath, image.Digest, request.ImageTag, cancellation);
        if (!tagged) throw new QuetzalException(Codes.ImagePushFailed, repositoryUri, $"the registry refused the tag {request.ImageTag} ({refusal})");
        return $"; tagged {request.ImageTag}";
    }

    private async Task<string> PublishLambdaAsync(PublishRequest request, string? imageUri, string role, string functionArn, CancellationToken cancellation)
    {
        using var lambda = new LambdaClient(settings);
        var current = await AwsCall.Run(() => lambda.GetFunctionAsync(request.FunctionName, cancellation));
        var environment = new Dictionary<string, string>(current?.Settings.Environment ?? new Dictionary<string, string>()) { ["BUCKET_NAME"] = request.BucketName };
        var wanted = new FunctionSettings(request.MemorySize, request.Timeout, request.EphemeralStorage, role, environment);

        if (current is null)
        {
            if (request.DryRun || imageUri is null)
            {
                Report($"Lambda: would create {request.FunctionName} (memory {wanted.MemorySize} MB, timeout {wanted.Timeout} s, storage {wanted.EphemeralStorage} MB, role {role})");
                return functionArn;
            }
            await BeforeWriteAsync(request, cancellation);
            log.Info($"Creating Lambda function {request.FunctionName}");
            await AwsCall.Run(() => lambda.CreateFunctionAsync(request.FunctionName, imageUri, wanted, cancellation));
            await WaitAsync(lambda, request, cancellation);
            Report($"Lambda: created {request.FunctionName} on {imageUri}");
            return functionArn;
        }

        var codeChanged = imageUri is null ? request.DryRun : !SameImage(current, imageUri);
        var differences = Differences(current.Settings, wanted);
        if (request.DryRun)
        {
            Report(!codeChanged && differences.Count == 0 ? $"Lambda: unchanged ({request.FunctionName})"
                : $"Lambda: would update {request.FunctionName}: {string.Join("; ", (codeChanged ? ["image"] : Array.Empty<string>()).Concat(differences))}");
            return current.Arn;
        }
        if (codeChanged || differences.Count > 0) await BeforeWriteAsync(request, cancellation);
        if (codeChanged)
        {
            log.Info($"Updating {request.FunctionName} to {imageUri}");
            await AwsCall.Run(() => lambda.UpdateFunctionCodeAsync(request.FunctionName, imageUri!, cancellation));
            await WaitAsync(lambda, request, cancellation);
        }
        if (differences.Count > 0)
        {
            log.Info($"Updating {request.FunctionName} configuration: {string.Join("; ", differences)}");
            await AwsCall.Run(() => lambda.UpdateFunctionConfigurationAsync(request.FunctionName, wanted, cancellation));
            await WaitAsync(lambda, request, cancellation);
        }
        Report(!codeChanged && differences.Count == 0 ? $"Lambda: unchanged ({request.FunctionName})"
            : $"Lambda: updated {request.FunctionName}{(codeChanged ? $" to {imageUri}" : "")}{(differences.Count > 0 ? $" ({string.Join("; ", differences)})" : "")}");
        return current.Arn;
    }

    private static bool SameImage(FunctionState function, string imageUri)
    {
        var digest = imageUri[(imageUri.IndexOf('@') + 1)..];
        return function.ImageUri == imageUri || function.ResolvedImageUri?.EndsWith("@" + digest, StringComparison.Ordinal) == true;
    }

    private static List<string> Differences(FunctionSettings current, FunctionSettings wanted)
    {
        var differences = new List<string>();
        if (current.MemorySize != wanted.MemorySize) differences.Add($"memory {current.MemorySize} -> {wanted.MemorySize} MB");
        if (current.Timeout != wanted.Timeout) differences.Add($"timeout {current.Timeout} -> {wanted.Timeout} s");
        if (current.EphemeralStorage != wanted.EphemeralStorage) differences.Add($"storage {current.EphemeralStorage} -> {wanted.EphemeralStorage} MB");
        if (current.Role != wanted.Role) differences.Add($"role {current.Role} -> {wanted.Role}");
        if (current.Environment.GetValueOrDefault("BUCKET_NAME") != wanted.Environment["BUCKET_NAME"]) differences.Add($"BUCKET_NAME -> {wanted.Environment["BUCKET_NAME"]}");
        return differences;
    }

    /// <summary>Lambda applies code and configuration asynchronously: nothing may rely on the new code before it says Successful.</summary>
    private async Task WaitAsync(IAmazonLambda lambda, PublishRequest request, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + request.LambdaWait;
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            var state = await AwsCall.Run(() => lambda.GetFunctionConfigurationAsync(request.FunctionName, cancellation));
            if (state.LastUpdateStatus == "Failed" || state.State == "Failed")
                throw new QuetzalException(Codes.LambdaUpdateFailed, request.FunctionName, state.LastUpdateStatusReason ?? "no reason given");
            if (state.LastUpdateStatus == "Successful" && state.State == "Active") return;
            if (DateTime.UtcNow > deadline) throw new QuetzalException(Codes.LambdaWaitTimedOut, request.FunctionName, (int)request.LambdaWait.TotalSeconds);
            log.Detail($"  {request.FunctionName}: {state.State}, {state.LastUpdateStatus}");
            await Task.Delay(delay, cancellation);
            delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 1.5));
        }
    }

    /// <summary>The machine is read by its ARN (known from the account, region and name): one request, however many machines the account has.</summary>
    private async Task PublishStateMachineAsync(PublishRequest request, IReadOnlyDictionary<string, string> values, string role, string arn, CancellationToken cancellation)
    {
        var definition = StateMachineRenderer.Render(await File.ReadAllTextAsync(request.StateMachinePath, cancellation), values);
        using var sfn = new StepFunctionsClient(settings);
        var current = await AwsCall.Run(() => sfn.TryDescribeStateMachineAsync(arn, cancellation));
        if (current is null)
        {
            if (request.DryRun) { Report($"State machine: would create {request.StateMachineName}"); return; }
            await BeforeWriteAsync(request, cancellation);
            await AwsCall.Run(() => sfn.CreateStateMachineAsync(request.StateMachineName, definition, role, cancellation));
            Report($"State machine: created {request.StateMachineName}");
            return;
        }
        if (JsonNode.DeepEquals(JsonNode.Parse(current.Definition), JsonNode.Parse(definition)))
        {
            Report($"State machine: unchanged ({request.StateMachineName})");
            return;
        }
        if (request.DryRun) { Report($"State machine: would update {request.StateMachineName}"); return; }
        await BeforeWriteAsync(request, cancellation);
        await AwsCall.Run(() => sfn.UpdateStateMachineAsync(arn, definition, cancellation));
        Report($"State machine: updated {request.StateMachineName}");
    }

    private async Task PublishScenariosAsync(PublishRequest request, ScenarioPublisher publisher, IReadOnlyList<ScenarioPlan> plans, CancellationToken cancellation)
    {
        foreach (var plan in plans) Report((request.DryRun ? "S3 (plan) " : "S3 ") + plan.Summary);
        if (request.DryRun || !plans.Any(p => p.HasWrites)) return;
        await BeforeWriteAsync(request, cancellation);
        await publisher.ApplyAsync(request.BucketName, plans, cancellation);
    }

    private void Report(string line)
    {
        _summary.Add(line);
        log.Info(line);
    }

}
