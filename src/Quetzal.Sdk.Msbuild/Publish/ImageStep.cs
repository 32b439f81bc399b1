using Quetzal.Sdk.Core;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The model's image in ECR, named by a content tag (a hash of everything it is built from): the registry has it,
/// or it is built and pushed. QuetzalImageTag is put on the digest through the registry's API.
/// </summary>
public sealed class ImageStep : PublishStep<ImageStep.Plan>, IReleaseStep
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, EcrRepository Repository, BuildContext Context, RegistryCredentials Login,
        RegistryClient.Manifest? Existing, bool MoveTag, Release? Release = null) : StepPlan(HasWrites, Lines)
    {
        public string RepositoryPath => Repository.Uri[(Repository.Uri.IndexOf('/') + 1)..];
    }

    /// <summary>A release tags the image with its version (v12): the tag the function and the task definition name, and Quenedi shows.</summary>
    public StepPlan ForRelease(PublishContext context, StepPlan plan, Release release)
    {
        var image = (Plan)plan;
        return image with { HasWrites = true, Release = release, Lines = [.. image.Lines.Select((l, i) => i == 0 ? $"{l.TrimEnd('.')}; would tag it {release.Tag}" : l)] };
    }

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var repository = context.Repository!;
        var build = await context.ImageContext;
        if (build.DataFiles > 0)
            context.Log.Warning(Codes.DataInImage.Create(Path.Combine(request.ModelDirectory, ".dockerignore"),
                ContextRules.For(request.ModelDirectory, request.ScenariosDirectory, request.SdkState).ScenariosFolder + "/", build.DataFiles, Bytes.Format(build.DataBytes)));
        var login = (await context.Clients.Ecr.GetAuthorizationTokenAsync(cancellation)).At(repository.Uri);
        context.RegistryLogin = login;
        using var registry = context.Clients.Registry(login);
        var path = repository.Uri[(repository.Uri.IndexOf('/') + 1)..];
        // The tag these very files had before (no file read), if the registry has it; else the files' hash, read now.
        var tags = context.ContentTags;
        var tag = tags.Find(build.Fingerprint);
        var existing = tag is null ? null : await registry.HeadManifestAsync(path, tag, cancellation);
        if (existing is null)
        {
            tag = build.ContentTag;
            tags.Save(build.Fingerprint, tag);
            existing = await registry.HeadManifestAsync(path, tag, cancellation);
        }
        context.ModelTag = request.ImageTag ?? tag;
        context.Log.Detail($"Build context: {build.Entries.Count} files, {Bytes.Format(build.FileBytes)}; content tag {tag}.");
        var largest = string.Join(", ", build.Contributors.Select(c => $"{c.Part} {Bytes.Format(c.Bytes)}"));

        if (existing is null)
        {
            context.Log.Info($"Image context: {build.Entries.Count} files, {Bytes.Format(build.FileBytes)}; largest: {largest}");
            if (!request.Steps.HasFlag(PublishSteps.Image))
                throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry has no image {tag} for the current model files; publish the image first (-t:QuetzalPublishImage before the other step targets), or publish the steps together in the pipeline's order (-t:Publish -p:QuetzalPublishSteps=Image%3B<the other steps>)");
            // What changed since the image last published from this folder (its record), named as the user knows the files.
            var previous = context.ImageInputs;
            var changes = previous is null || previous.Tag == tag ? [] : previous.ChangesTo(build);
            var changed = changes.Count == 0 ? "" : $"; changed since {previous!.Tag}: {ImageInputs.Summary(changes)}";
            return new Plan(true, [$"Image: new ({repository.Uri}:{tag}, {build.Entries.Count} files, {Bytes.Format(build.FileBytes)} of context; largest: {largest}{changed}); would build and push."],
                repository, build, login, null, MoveTag: !string.IsNullOrEmpty(request.ImageTag));
        }
        if (existing.IsIndex)
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the tag names an image index; Lambda needs a single-platform image manifest");
        context.ImageUri = $"{repository.Uri}@{existing.Digest}";
        // The registry has these files' image: it is the one the next change is told against.
        if (context.ImageInputs?.Tag != tag) ImageInputs.Of(build, tag!, context.ImageInputs).Save(context.ImageInputsFile);
        var userTag = request.Steps.HasFlag(PublishSteps.Image) ? request.ImageTag : null;
        var moveTag = !string.IsNullOrEmpty(userTag) && (await registry.HeadManifestAsync(path, userTag, cancellation))?.Digest != existing.Digest;
        var tagNote = string.IsNullOrEmpty(userTag) ? "" : moveTag ? $"; would tag it {userTag}" : $"; tag {userTag} names it";
        return new Plan(moveTag, [$"Image: unchanged ({context.ImageUri}){tagNote}"], repository, build, login, existing, moveTag);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var request = context.Request;
        var repository = plan.Repository;
        using var registry = context.Clients.Registry(plan.Login);
        var image = plan.Existing;
        if (image is null)
        {
            image = plan.Context.Stages is { } staged
                ? await PushStagedAsync(context, plan, registry, staged, cancellation)
                : await BuildAndPushAsync(context, plan, registry, cancellation);
            if (image.IsIndex)
                throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the tag names an image index; Lambda needs a single-platform image manifest");
            context.ImageUri = $"{repository.Uri}@{image.Digest}";
            ImageInputs.Of(plan.Context, plan.Context.ContentTag, context.ImageInputs).Save(context.ImageInputsFile);
        }
        var tagged = "";
        if (plan.MoveTag)
        {
            var (done, refusal) = await registry.TagAsync(plan.RepositoryPath, image.Digest, request.ImageTag!, cancellation);
            if (!done) throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry refused the tag {request.ImageTag} ({refusal})");
            tagged = $"; tagged {request.ImageTag}";
        }
        if (plan.Release is { } release)
        {
            using var _ = context.TimeVersioning();
            var (done, refusal) = await registry.TagAsync(plan.RepositoryPath, image.Digest, release.Tag, cancellation);
            if (!done) throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry refused the version tag {release.Tag} ({refusal})");
            tagged += $"; tagged {release.Tag}";
        }
        return [plan.Existing is null ? $"Image: pushed {context.ImageUri}{tagged}" : $"Image: unchanged ({context.ImageUri}){tagged}"];
    }

    /// <summary>A Dockerfile of the user's: built by the engine as written, and pushed.</summary>
    private static async Task<RegistryClient.Manifest> BuildAndPushAsync(PublishContext context, Plan plan, IImageRegistry registry, CancellationToken cancellation)
    {
        var engine = context.Clients.Engine;
        await engine.EnsureAvailableAsync(cancellation);
        var tag = plan.Context.ContentTag;
        var local = $"{context.Request.Names.RepositoryName}:{tag}";
        context.Log.Info($"Building image {local} ({plan.Context.Entries.Count} files, {Bytes.Format(plan.Context.FileBytes)} of context)");
        await engine.BuildAsync(plan.Context, local, cancellation);
        context.Log.Info($"Pushing {plan.Repository.Uri}:{tag}");
        await engine.PushAsync(local, plan.Repository.Uri, tag, plan.Login, cancellation);
        return await registry.HeadManifestAsync(plan.RepositoryPath, tag, cancellation)
            ?? throw new QuetzalException(Codes.ImagePushFailed, plan.Repository.Uri, "the registry does not show the pushed tag");
    }

    /// <summary>
    /// The generated Dockerfile: its dependencies' image is built and pushed by the engine only when the registry does
    /// not have it yet (a first publish, a library or requirements change); the model's layer is added to it in the
    /// registry (<see cref="ImageAppend"/>), so that a step edit needs no engine and sends kilobytes.
    /// </summary>
    private static async Task<RegistryClient.Manifest> PushStagedAsync(PublishContext context, Plan plan, IImageRegistry registry, StagedBuild staged, CancellationToken cancellation)
    {
        var repository = plan.Repository;
        var dependencies = await registry.GetManifestAsync(plan.RepositoryPath, staged.DependenciesTag, cancellation);
        if (dependencies is null)
        {
            var engine = context.Clients.Engine;
            await engine.EnsureAvailableAsync(cancellation);
            var local = $"{context.Request.Names.RepositoryName}:{staged.DependenciesTag}";
            context.Log.Info($"Building the image's dependencies {local} (base image, requirements, library, runner)");
            await engine.BuildDependenciesAsync(plan.Context, local, cancellation);
            context.Log.Info($"Pushing {repository.Uri}:{staged.DependenciesTag}");
            await engine.PushAsync(local, repository.Uri, staged.DependenciesTag, plan.Login, cancellation);
            dependencies = await registry.GetManifestAsync(plan.RepositoryPath, staged.DependenciesTag, cancellation)
                ?? throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry does not show the pushed tag {staged.DependenciesTag}");
        }
        else context.Log.Detail($"  dependencies: {repository.Uri}:{staged.DependenciesTag} (the registry has them)");
        // An engine with the containerd image store pushes an index (the image and its attestations): the model's
        // image is made on its linux/amd64 image, and is a single image manifest, as Lambda needs.
        if (dependencies.Manifest.IsIndex)
            dependencies = ImageAppend.PlatformImage(dependencies.Bytes) is { } platform
                ? await registry.GetManifestAsync(plan.RepositoryPath, platform, cancellation)
                : null;
        if (dependencies is null || dependencies.Manifest.IsIndex)
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"{staged.DependenciesTag} names an image index without a linux/amd64 image; Lambda needs a single-platform image manifest");
        var tag = plan.Context.ContentTag;
        context.Log.Info($"Pushing {repository.Uri}:{tag} (the model's files on {staged.DependenciesTag})");
        try
        {
            var digest = await ImageAppend.PushAsync(registry, plan.RepositoryPath, dependencies, staged, tag, cancellation);
            return new RegistryClient.Manifest(digest, dependencies.MediaType);
        }
        catch (InvalidDataException e)
        {
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"{staged.DependenciesTag}: {e.Message}");
        }
        catch (RegistryException e)
        {
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry answered {e.Status} to the {e.Operation}{(e.Answer.Length > 0 ? ": " + e.Answer : "")}");
        }
    }
}
