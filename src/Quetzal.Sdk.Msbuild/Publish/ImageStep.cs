using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The model's image in ECR, named by a content tag (a hash of everything it is built from): the registry has it,
/// or it is built and pushed. QuetzalImageTag is put on the digest through the registry's API.
/// </summary>
public sealed class ImageStep : PublishStep<ImageStep.Plan>
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, EcrRepository Repository, BuildContext Context, RegistryCredentials Login,
        RegistryClient.Manifest? Existing, bool MoveTag) : StepPlan(HasWrites, Lines)
    {
        public string RepositoryPath => Repository.Uri[(Repository.Uri.IndexOf('/') + 1)..];
    }

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var repository = context.Repository!;
        var build = await context.ImageContext;
        if (build.DataFiles > 0)
            context.Log.Warning(Codes.DataInImage.Create(Path.Combine(request.ModelDirectory, ".dockerignore"),
                ContextRules.For(request.ModelDirectory, request.ScenariosDirectory, request.SdkState).ScenariosFolder + "/", build.DataFiles, Bytes.Format(build.DataBytes)));
        var login = await context.Clients.Ecr.GetAuthorizationTokenAsync(cancellation);
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
                throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry has no image {tag} for the current model files; publish the image first (-t:QuetzalPublishImage)");
            return new Plan(true, [$"Image: new ({repository.Uri}:{tag}, {build.Entries.Count} files, {Bytes.Format(build.FileBytes)} of context; largest: {largest}); would build and push."],
                repository, build, login, null, MoveTag: !string.IsNullOrEmpty(request.ImageTag));
        }
        if (existing.IsIndex)
            throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the tag names an image index; Lambda needs a single-platform image manifest");
        context.ImageUri = $"{repository.Uri}@{existing.Digest}";
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
            var engine = context.Clients.Engine;
            await engine.EnsureAvailableAsync(cancellation);
            var local = $"{request.Names.RepositoryName}:{plan.Context.ContentTag}";
            context.Log.Info(plan.Context.Stages is null
                ? $"Building image {local} ({plan.Context.Entries.Count} files, {Bytes.Format(plan.Context.FileBytes)} of context)"
                : $"Building image {local} (the model's files on its dependencies' image, built first if the engine does not have it)");
            await engine.BuildAsync(plan.Context, local, cancellation);
            context.Log.Info($"Pushing {repository.Uri}:{plan.Context.ContentTag}");
            await engine.PushAsync(local, repository.Uri, plan.Context.ContentTag, plan.Login, cancellation);
            image = await registry.HeadManifestAsync(plan.RepositoryPath, plan.Context.ContentTag, cancellation)
                ?? throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the registry does not show the pushed tag");
            if (image.IsIndex)
                throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, "the tag names an image index; Lambda needs a single-platform image manifest");
            context.ImageUri = $"{repository.Uri}@{image.Digest}";
        }
        var tagged = "";
        if (plan.MoveTag)
        {
            var (done, refusal) = await registry.TagAsync(plan.RepositoryPath, image.Digest, request.ImageTag!, cancellation);
            if (!done) throw new QuetzalException(Codes.ImagePushFailed, repository.Uri, $"the registry refused the tag {request.ImageTag} ({refusal})");
            tagged = $"; tagged {request.ImageTag}";
        }
        return [plan.Existing is null ? $"Image: pushed {context.ImageUri}{tagged}" : $"Image: unchanged ({context.ImageUri}){tagged}"];
    }
}
