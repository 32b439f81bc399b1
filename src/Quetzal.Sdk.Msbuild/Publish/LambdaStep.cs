using Quetzal.Sdk.Container;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The model's Lambda function with the project's memory, timeout, storage and role, and its published versions.
/// $LATEST is created, or updated where it differs, on the release's image tag (<c>repo:v12</c>: what Quenedi shows as
/// the model version); then a version is published (its description the release's tag) and the state machine's Tasks
/// call that version, so that a run in flight keeps the code it started with. Nothing changes when $LATEST and a
/// published version already are what the project asks for. Lambda applies changes asynchronously; nothing goes on
/// before it says Successful.
/// </summary>
public sealed class LambdaStep : PublishStep<LambdaStep.Plan>, IReleaseStep
{
    /// <summary>The function a change is made to, and how long Lambda may take to apply it.</summary>
    public sealed record LambdaTarget(IAmazonLambda Lambda, string Name, TimeSpan Wait, IPublishLog Log);

    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, FunctionState? Current, FunctionSettings Wanted, bool CodeChanged, IReadOnlyList<string> Differences,
        Release? Release = null) : StepPlan(HasWrites, Lines);

    public StepPlan ForRelease(PublishContext context, StepPlan plan, Release release)
    {
        var lambda = (Plan)plan;
        var name = context.Request.Names.FunctionName;
        var line = lambda.Current is null ? lambda.Lines[0] : $"Lambda: would update {name}: {string.Join("; ", new[] { $"image tag {release.Tag}" }.Concat(lambda.Differences))}";
        return lambda with { HasWrites = true, Release = release, Lines = [line + $"; would publish a version ({release.Tag})"] };
    }

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var name = request.Names.FunctionName;
        var current = await context.Clients.Lambda.GetFunctionAsync(name, cancellation);
        if (current is not null && context.Account is null && AwsAccount.AccountOf(current.Arn) is { } account)
            context.Account = new AwsAccount(context.Clients.Region, account);
        context.FunctionArn = current?.Arn ?? context.Account?.FunctionArn(name);
        var role = context.Account?.RoleArn(ResourceNames.LambdaRole(request.Names.ModelName)) ?? "(the model's role)";
        var environment = new Dictionary<string, string>(current?.Settings.Environment ?? new Dictionary<string, string>()) { ["BUCKET_NAME"] = request.Names.BucketName };
        var wanted = new FunctionSettings(request.MemorySize, request.Timeout, request.EphemeralStorage, role, environment);

        if (current is null)
            return new Plan(true, [$"Lambda: would create {name} (memory {wanted.MemorySize} MB, timeout {wanted.Timeout} s, storage {wanted.EphemeralStorage} MB, role {role})"],
                null, wanted, true, []);
        context.CurrentTag = ImageReference.TagOf(current.ImageUri);
        // An image still to be pushed is new code; one the registry has is new code unless the function runs it.
        var codeChanged = context.ImageUri is null || !SameImage(current, context.ImageUri);
        var differences = Differences(current.Settings, wanted);
        if (!codeChanged && differences.Count == 0)
        {
            // What runs is a published version: the newest one with $LATEST's code and settings (after a rollback, an older one).
            var digest = ImageReference.CodeSha256Of(current.ResolvedImageUri);
            IReadOnlyList<FunctionVersion> versions;
            using (context.TimeVersioning()) versions = await context.Clients.Lambda.ListVersionsByFunctionAsync(name, cancellation);
            if (versions.LastOrDefault(v => v.CodeSha256 == digest && Differences(v.Settings, wanted).Count == 0) is { } version)
            {
                context.FunctionArn = version.Arn;
                return new Plan(false, [$"Lambda: unchanged ({name}, version {version.Version})"], current, wanted, false, differences);
            }
            return new Plan(true, [$"Lambda: would publish a version of {name} (no published version runs its code and settings)"], current, wanted, false, differences);
        }
        return new Plan(true, [$"Lambda: would update {name}: {string.Join("; ", (codeChanged ? ["image"] : Array.Empty<string>()).Concat(differences))}"],
            current, wanted, codeChanged, differences);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var lambda = context.Clients.Lambda;
        var name = context.Request.Names.FunctionName;
        // A release names its image by its tag (what Quenedi shows); Lambda resolves it to the digest the version keeps.
        var imageUri = plan.Release is { } release ? context.ReleaseImageUri(release) : context.ImageUri!;
        // How long Lambda took to apply the change (from the request to Active or Successful): on AWS, seconds for an
        // image, most of a step edit's publish; said in the summary so that a slow publish shows where its time went.
        var applying = TimeSpan.Zero;
        if (plan.Current is null)
        {
            context.Log.Info($"Creating Lambda function {name}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await lambda.CreateFunctionAsync(name, imageUri, plan.Wanted, cancellation);
            await WaitForStateAsync(Target(context), cancellation);
            return [$"Lambda: created {name} on {imageUri} (active after {Seconds(clock.Elapsed)}){await PublishVersionAsync(context, plan, cancellation)}"];
        }
        if (plan.CodeChanged || (plan.Release is not null && plan.Current.ImageUri != imageUri))
        {
            context.Log.Info($"Updating {name} to {imageUri}");
            applying += await UpdateAsync(Target(context), f => SameImage(f, imageUri), () => lambda.UpdateFunctionCodeAsync(name, imageUri, cancellation), cancellation);
        }
        if (plan.Differences.Count > 0)
        {
            context.Log.Info($"Updating {name} configuration: {string.Join("; ", plan.Differences)}");
            applying += await UpdateAsync(Target(context), f => Differences(f.Settings, plan.Wanted).Count == 0, () => lambda.UpdateFunctionConfigurationAsync(name, plan.Wanted, cancellation), cancellation);
        }
        var published = await PublishVersionAsync(context, plan, cancellation);
        if (applying == TimeSpan.Zero) return [$"Lambda: {name} unchanged{published}"];
        return [$"Lambda: updated {name}{(plan.Current.ImageUri != imageUri ? $" to {imageUri}" : "")}{(plan.Differences.Count > 0 ? $" ({string.Join("; ", plan.Differences)})" : "")}, applied by Lambda in {Seconds(applying)}{published}"];
    }

    /// <summary>
    /// Publishes $LATEST as a version, guarded by the code it was just given (a publish from elsewhere in between is
    /// refused, not published under this release's name); the state machine then calls that version.
    /// </summary>
    private static async Task<string> PublishVersionAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        using var _ = context.TimeVersioning();
        var name = context.Request.Names.FunctionName;
        var version = await context.Clients.Lambda.PublishVersionAsync(name, ImageReference.CodeSha256Of(context.ImageUri), plan.Release?.Tag ?? "", cancellation);
        context.FunctionArn = version.Arn;
        return $"; version {version.Version}";
    }


    private static LambdaTarget Target(PublishContext context) => new(context.Clients.Lambda, context.Request.Names.FunctionName, context.Request.LambdaWait, context.Log);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00' s'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// One change of the function, as Lambda wants changes made: after any update in progress has finished; a
    /// conflict (409, "an update is in progress": someone else's, or a retried request whose first attempt went
    /// through) is waited out and tried again, unless the function then already is as wanted. Returns the time from the
    /// first request to the change applied.
    /// </summary>
    public static async Task<TimeSpan> UpdateAsync(LambdaTarget context, Func<FunctionState, bool> done, Func<Task> update, CancellationToken cancellation)
    {
        System.Diagnostics.Stopwatch? clock = null;
        for (var attempt = 1; ; attempt++)
        {
            // Another update may be in progress; one that failed before (a bad image someone pushed) is over, not in the way.
            var current = await WaitForUpdateAsync(context, cancellation, failedIsSettled: true);
            if (attempt > 1 && done(current)) return clock!.Elapsed;
            clock ??= System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await update();
                await WaitForUpdateAsync(context, cancellation);
                return clock.Elapsed;
            }
            catch (AwsServiceException e) when (e.Type == "ResourceConflictException" && attempt < ConflictAttempts)
            {
                context.Log.Detail($"  {context.Name}: {e.AwsMessage}; waiting, then again");
                await Task.Delay(RetryRules.Backoff(attempt, TimeSpan.FromSeconds(1)), cancellation);
            }
        }
    }

    private const int ConflictAttempts = 8;

    /// <summary>
    /// After an update, as the service's own waiter (function_updated_v2) does: on LastUpdateStatus alone.
    /// A function idle for weeks is Inactive and stays so after a successful update until it is next invoked.
    /// </summary>
    private static Task<FunctionState> WaitForUpdateAsync(LambdaTarget context, CancellationToken cancellation, bool failedIsSettled = false)
        => PollAsync(context, f => f.LastUpdateStatus switch
        {
            "Successful" => true,
            "Failed" when failedIsSettled => true,
            "Failed" => throw Failed(context, f.LastUpdateStatusReasonCode, f.LastUpdateStatusReason ?? f.StateReason),
            _ => false,
        }, cancellation);

    /// <summary>After a create, as the service's own waiter (function_active_v2) does: on State (Active, Failed, Pending).</summary>
    private static Task<FunctionState> WaitForStateAsync(LambdaTarget context, CancellationToken cancellation)
        => PollAsync(context, f => f.State switch
        {
            "Active" => true,
            "Failed" => throw Failed(context, f.StateReasonCode, f.StateReason ?? f.LastUpdateStatusReason),
            _ => false,
        }, cancellation);

    private static QuetzalException Failed(LambdaTarget context, string? code, string? reason)
        => new(Codes.LambdaUpdateFailed, context.Name,
            code is null && reason is null ? "Lambda gave no reason" : $"{code}{(code is not null && reason is not null ? ": " : "")}{reason}");

    private static async Task<FunctionState> PollAsync(LambdaTarget context, Func<FunctionState, bool> settled, CancellationToken cancellation)
    {
        var name = context.Name;
        var wait = context.Wait;
        var deadline = DateTime.UtcNow + wait;
        // Short first waits (a small update can settle within a second), then growing to 5 s: GetFunctionConfiguration is cheap.
        var delay = TimeSpan.FromMilliseconds(100);
        var polls = 0;
        while (true)
        {
            var state = await context.Lambda.GetFunctionConfigurationAsync(name, cancellation);
            if (settled(state)) return state;
            if (DateTime.UtcNow > deadline) throw new QuetzalException(Codes.LambdaWaitTimedOut, name, (int)wait.TotalSeconds);
            context.Log.Detail($"  {name}: {state.State}, {state.LastUpdateStatus}");
            await Task.Delay(delay, cancellation);
            if (++polls >= 10) delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 1.5));
        }
    }

    private static bool SameImage(FunctionState function, string imageUri)
    {
        var digest = ImageReference.DigestOf(imageUri) ?? imageUri;
        return function.ImageUri == imageUri || function.ResolvedImageUri?.EndsWith("@" + digest, StringComparison.Ordinal) == true;
    }

    public static List<string> Differences(FunctionSettings current, FunctionSettings wanted)
    {
        var differences = new List<string>();
        if (current.MemorySize != wanted.MemorySize) differences.Add($"memory {current.MemorySize} -> {wanted.MemorySize} MB");
        if (current.Timeout != wanted.Timeout) differences.Add($"timeout {current.Timeout} -> {wanted.Timeout} s");
        if (current.EphemeralStorage != wanted.EphemeralStorage) differences.Add($"storage {current.EphemeralStorage} -> {wanted.EphemeralStorage} MB");
        if (current.Role != wanted.Role) differences.Add($"role {current.Role} -> {wanted.Role}");
        if (current.Environment.GetValueOrDefault("BUCKET_NAME") != wanted.Environment["BUCKET_NAME"]) differences.Add($"BUCKET_NAME -> {wanted.Environment["BUCKET_NAME"]}");
        return differences;
    }
}
