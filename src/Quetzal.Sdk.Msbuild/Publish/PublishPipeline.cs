using Quetzal.Sdk.Container;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// A publish: every step plans (reads only), then, if any has something to write, the model's bucket lease is taken
/// and the plans are applied in the order that keeps a deployment consistent: the image is fully pushed before the
/// Lambda points at it (by digest), the state machine changes only after the Lambda update succeeded and the task
/// definition revision its Fargate states name is registered; the scenarios (base first) upload meanwhile, once the
/// image is pushed, and their info.json goes last. A dry run is the plans. Planning reports every problem it finds at once (a
/// missing repository and a missing bucket together), and writes nothing.
/// </summary>
public sealed class PublishPipeline(IAwsClients clients, IPublishLog log)
{
    private readonly List<string> _summary = new();

    /// <summary>The clock of the waits for another publish's lease (tests give a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The plan (dry run) or what was done, a line per resource, for the closing summary.</summary>
    public IReadOnlyList<string> Summary => _summary;

    public async Task PublishAsync(PublishRequest request, CancellationToken cancellation)
    {
        // Runs reach new code only through the state machine (its Tasks call a Lambda version and a task definition
        // revision): a publish of the function or the task definition publishes the state machine too; and a new
        // version of the state machine is shown through the function's image tag: it publishes the function too.
        if ((request.Steps & (PublishSteps.Lambda | PublishSteps.TaskDefinition | PublishSteps.StateMachine)) != 0)
            request = request with
            {
                Steps = request.Steps | PublishSteps.StateMachine | PublishSteps.Lambda | (request.Fargate is null ? PublishSteps.None : PublishSteps.TaskDefinition),
            };
        BucketLease? lease = null;
        var leased = false;
        try
        {
            while (true)
            {
                _summary.Clear();
                // A step asked for by name that has nothing to publish says so, instead of vanishing from the summary.
                if (request.Steps != PublishSteps.All && request.Steps.HasFlag(PublishSteps.TaskDefinition) && request.Fargate is null)
                    Report(["Task definition: none to publish: the workflow has no Fargate step"]);
                var context = new PublishContext(request, clients, log);
                var plans = await PlanAsync(context, cancellation);
                if (request.DryRun || !plans.Any(p => p.Plan.HasWrites))
                {
                    foreach (var (_, plan) in plans) Report(plan.Lines);
                    return;
                }
                if (!leased)
                {
                    leased = true;
                    lease = await BucketLease.AcquireAsync(clients.S3, clients.S3Profile, request.Names.BucketName, request.Names.ModelName, request.LeaseTimeout, log, cancellation, Time);
                    if (lease?.Waited == true)
                    {
                        // Another publish held the model while this one read: what was read may have changed.
                        log.Info($"Quetzal: the other publish of {request.Names.ModelName} ended; reading the deployment again");
                        continue;
                    }
                }
                await ApplyAsync(context, plans, cancellation);
                if (context.Release is not null) await RetainAsync(context, cancellation);
                return;
            }
        }
        finally
        {
            if (lease is not null) await lease.DisposeAsync();
        }
    }

    /// <summary>
    /// Applies the plans in order, with one overlap: once the image is pushed, the scenarios' uploads (which do not
    /// depend on the code) run while the Lambda, the task definition and the state machine change and settle. The
    /// Lambda still changes only after the image is pushed, the state machine only after the Lambda, and each
    /// scenario's info.json (which names the deployed image) is written last, after both succeeded. The summary keeps
    /// the plan's order; the first failure in that order is the one reported.
    /// </summary>
    private async Task ApplyAsync(PublishContext context, IReadOnlyList<(IPublishStep Step, StepPlan Plan)> plans, CancellationToken cancellation)
    {
        var results = new IReadOnlyList<string>?[plans.Count];
        async Task Apply(int i) => results[i] = plans[i].Plan.HasWrites ? await plans[i].Step.ApplyAsync(context, plans[i].Plan, cancellation) : plans[i].Plan.Lines;
        try
        {
            var index = 0;
            if (index < plans.Count && plans[index].Step is ImageStep) await Apply(index++);
            // The release records the image it runs, by digest (known once pushed).
            if (context.Release is { } release && ImageReference.DigestOf(context.ImageUri) is { } digest)
                context.Release = release with { Image = digest };
            var scenarios = Enumerable.Range(index, plans.Count - index).Where(i => plans[i].Step is ScenariosStep).ToList();
            var deployment = Enumerable.Range(index, plans.Count - index).Where(i => plans[i].Step is not (ScenariosStep or ScenarioInfoStep)).ToList();
            var uploads = Task.Run(async () => { foreach (var i in scenarios) await Apply(i); }, cancellation);
            Exception? failure = null;
            try { foreach (var i in deployment) await Apply(i); }
            catch (Exception e) { failure = e; }
            try { await uploads; }
            catch (Exception e) { failure ??= e; }
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            foreach (var i in Enumerable.Range(index, plans.Count - index).Where(i => plans[i].Step is ScenarioInfoStep)) await Apply(i);
        }
        finally
        {
            foreach (var lines in results) if (lines is not null) Report(lines);
        }
    }

    /// <summary>
    /// The steps the request names, in apply order, each planned. The ECR repository is read first (it gives the
    /// account); the scenarios are planned beside the others (mostly the S3 client's first use and the bucket's
    /// listing). Every step that cannot plan adds its errors; all are thrown together.
    /// </summary>
    public async Task<IReadOnlyList<(IPublishStep Step, StepPlan Plan)>> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var errors = new List<Diagnostic>();
        var scenarios = request.Steps.HasFlag(PublishSteps.Scenarios) ? new ScenariosStep() : null;
        var scenarioPlan = scenarios is null ? null : Task.Run(() => scenarios.PlanAsync(context, cancellation), cancellation);

        var plans = new List<(IPublishStep, StepPlan)>();
        async Task Plan(IPublishStep step)
        {
            try { plans.Add((step, await step.PlanAsync(context, cancellation))); }
            catch (QuetzalException e) { errors.AddRange(e.Diagnostics); }
        }

        Exception? failure = null;
        try
        {
            var fargate = request.Fargate is not null && request.Steps.HasFlag(PublishSteps.TaskDefinition);
            var image = (request.Steps & (PublishSteps.Image | PublishSteps.Lambda)) != 0 || fargate;
            if ((request.Steps & ~PublishSteps.Scenarios) != 0)
            {
                // The image's context is read from disk while AWS answers (its step needs it once the repository is known).
                if (image) _ = context.ImageContext;
                context.Repository = await clients.Ecr.DescribeRepositoryAsync(request.Names.RepositoryName, cancellation);
                if (context.Repository is null) errors.Add(Codes.RepositoryMissing.Create(null, request.Names.RepositoryName));
                else context.Account = new AwsAccount(clients.Region, context.Repository.RegistryId);
            }
            if (context.Repository is not null && image) await Plan(new ImageStep());
            if (request.Steps.HasFlag(PublishSteps.Lambda)) await Plan(new LambdaStep());
            if (fargate) await Plan(new TaskDefinitionStep());
            if (request.Steps.HasFlag(PublishSteps.StateMachine)) await Plan(new StateMachineStep());
        }
        catch (Exception e)
        {
            failure = e;
        }
        if (failure is null && errors.Count == 0)
        {
            try { await DecideReleaseAsync(context, plans, cancellation); }
            catch (Exception e) { failure = e; }
        }
        if (scenarioPlan is not null)
        {
            try
            {
                plans.Add((scenarios!, await scenarioPlan));
                // info.json says what the publish deployed and changed: planned once the image and the files are.
                if (failure is null && errors.Count == 0) await Plan(new ScenarioInfoStep());
            }
            catch (QuetzalException e) { errors.AddRange(e.Diagnostics); }
            // The first failure is the one reported; the scenario plan's own outcome no longer matters then.
            catch (Exception) when (failure is not null) { }
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        if (errors.Count > 0) throw new QuetzalException(errors);
        return plans;
    }

    /// <summary>
    /// A publish that changes what runs (the function, the task definition or the state machine) makes a model
    /// version: numbered one more than any the state machine's versions record, it tags the image, publishes a Lambda
    /// version, registers a revision and publishes the state machine (<see cref="IReleaseStep"/>). A publish that
    /// changes nothing deployed (or only scenarios) makes none, and info.json's model_tag stays the deployed version's.
    /// </summary>
    private async Task DecideReleaseAsync(PublishContext context, List<(IPublishStep Step, StepPlan Plan)> plans, CancellationToken cancellation)
    {
        var request = context.Request;
        var deploys = plans.Any(p => p.Plan.HasWrites && p.Step is LambdaStep or TaskDefinitionStep or StateMachineStep);
        if (!deploys || !request.Steps.HasFlag(PublishSteps.StateMachine) || context.Account is null)
        {
            if (context.CurrentTag is { } tag && IsVersionTag(tag)) context.ModelTag = tag;
            return;
        }
        using var _ = context.TimeVersioning();
        var machineArn = context.Account.StateMachineArn(request.Names.StateMachineName);
        try { context.History = await ReleaseHistory.ReadAsync(context.Clients.StepFunctions, machineArn, cancellation); }
        catch (AwsServiceException e) when (e.Type == "StateMachineDoesNotExist") { context.History = []; }
        var release = new Release(ReleaseHistory.NextNumber(context.History), Time.GetUtcNow(), request.UserEmail ?? Publisher.DefaultEmail(),
            ReleaseHistory.Commit(request.ModelDirectory), ImageReference.DigestOf(context.ImageUri));
        context.Release = release;
        context.ModelTag = release.Tag;
        for (var i = 0; i < plans.Count; i++)
            if (plans[i].Step is IReleaseStep step) plans[i] = (plans[i].Step, step.ForRelease(context, plans[i].Plan, release));
    }

    /// <summary>Whether a tag is a model version's (v12).</summary>
    public static bool IsVersionTag(string tag) => tag.Length > 1 && tag[0] == 'v' && tag.Skip(1).All(char.IsAsciiDigit);

    /// <summary>Removes the versions beyond QuetzalVersionsToKeep; the publish itself has succeeded, so a failure here is said, not thrown.</summary>
    private async Task RetainAsync(PublishContext context, CancellationToken cancellation)
    {
        var release = context.Release!;
        try
        {
            Retention.Outcome outcome;
            using (context.TimeVersioning()) outcome = await Retention.ApplyAsync(context, cancellation);
            if (outcome.Removed.Count > 0)
                Report([$"Versions: removed {string.Join(", ", outcome.Removed.Select(e => e.Release!.Tag).Distinct())} (keeping {context.Request.VersionsToKeep}): "
                    + $"{outcome.Removed.Count} state machine versions, {outcome.LambdaVersions} Lambda versions, {outcome.Revisions} task definition revisions, {outcome.Images} images"]);
        }
        catch (Exception e) when (e is AwsServiceException or HttpRequestException or QuetzalException)
        {
            Report([$"Versions: the older versions were not removed ({e.Message}); the next publish removes them"]);
        }
        Report([$"Version: {release.Tag} is current ({release.Describe()}); versioning took {context.Versioning.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} s"]);
    }

    private void Report(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            _summary.Add(line);
            log.Info(line);
        }
    }
}
