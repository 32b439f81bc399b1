using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <param name="LeaseTimeout">How long to wait for a publish of the model (any folder or machine) to release the bucket lease (QuetzalPublishLockTimeout).</param>
/// <param name="Fargate">The model has Fargate steps: its task definition's revisions are deregistered.</param>
/// <param name="StateMachineName">The model's state machine, whose versions are deleted (Terraform destroys the machine itself).</param>
public sealed record TeardownRequest(string ModelName, string BucketName, string RepositoryName, string FunctionName, bool DryRun, TimeSpan LeaseTimeout, bool Fargate = false,
    string? StateMachineName = null);

/// <summary>
/// Empties what `terraform destroy` cannot delete while it holds something, in the order that lets it succeed:
/// the Lambda function (which holds the image), the task definition's revisions (a model with Fargate steps), every object version of the bucket, then every image of the
/// repository. The state machine, the roles and the empty bucket and repository are Terraform's to destroy.
/// It holds the model's publish lease meanwhile, so that no publish (from any folder or machine) writes while it
/// empties; the lease's own object and versions go last.
/// </summary>
public sealed class ModelTeardown(IAwsClients clients, IPublishLog log)
{
    public async Task<IReadOnlyList<string>> RunAsync(TeardownRequest request, CancellationToken cancellation)
    {
        var done = new List<string>();
        var verb = request.DryRun ? "would delete" : "deleted";
        BucketLease? lease = null;
        try
        {
            if (!request.DryRun) lease = await BucketLease.AcquireAsync(clients.S3, clients.S3Profile, request.BucketName, request.ModelName, request.LeaseTimeout, log, cancellation);
        }
        catch (QuetzalException e) when (e.Diagnostic.Descriptor == Codes.BucketMissing)
        {
            // No bucket: nothing can publish into it either.
        }
        try
        {
            await EmptyAsync(request, verb, done, cancellation);
        }
        finally
        {
            if (lease is not null) await lease.DisposeAsync();
        }
        if (lease is not null)
        {
            // Deleting the lease leaves a delete marker (and older versions) where the bucket keeps versions.
            var s3 = clients.S3;
            var left = (await ListAllVersionsAsync(s3, request.BucketName, cancellation, BucketLease.Key)).Where(o => o.Key == BucketLease.Key).ToList();
            if (left.Count > 0) await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = request.BucketName, Objects = left }, cancellation);
        }
        return done;
    }

    private async Task EmptyAsync(TeardownRequest request, string verb, List<string> done, CancellationToken cancellation)
    {

        var exists = await clients.Lambda.GetFunctionAsync(request.FunctionName, cancellation) is not null;
        if (exists && !request.DryRun) await clients.Lambda.DeleteFunctionAsync(request.FunctionName, cancellation);
        done.Add(exists ? $"Lambda: {verb} {request.FunctionName} and its versions" : $"Lambda: no function {request.FunctionName}");
        log.Info(done[^1]);

        // Every model version: the state machine's versions (the machine is Terraform's to destroy). The repository
        // gives the account, and is emptied last.
        var repository = await clients.Ecr.DescribeRepositoryAsync(request.RepositoryName, cancellation);
        if (repository is not null)
        {
            var machineArn = new Model.AwsAccount(clients.Region, repository.RegistryId).StateMachineArn(request.StateMachineName ?? request.ModelName);
            IReadOnlyList<(string VersionArn, DateTimeOffset Created)> versions;
            try { versions = await clients.StepFunctions.ListStateMachineVersionsAsync(machineArn, cancellation); }
            catch (AwsServiceException e) when (e.Type == "StateMachineDoesNotExist") { versions = []; }
            if (!request.DryRun)
                foreach (var version in versions) await clients.StepFunctions.DeleteStateMachineVersionAsync(version.VersionArn, cancellation);
            done.Add($"Step Functions: {verb} {versions.Count} versions of {request.StateMachineName ?? request.ModelName}");
            log.Info(done[^1]);
        }

        if (request.Fargate)
        {
            var family = Model.Fargate.Family(request.ModelName);
            var revisions = await clients.Ecs.ListTaskDefinitionsAsync(family, "ACTIVE", cancellation);
            if (!request.DryRun)
                foreach (var revision in revisions) await clients.Ecs.DeregisterTaskDefinitionAsync(revision, cancellation);
            done.Add(request.DryRun ? $"ECS: would deregister {revisions.Count} revisions of {family}" : $"ECS: deregistered {revisions.Count} revisions of {family}");
            log.Info(done[^1]);
        }

        {
            var s3 = clients.S3;
            var objects = (await ListAllVersionsAsync(s3, request.BucketName, cancellation)).Where(o => o.Key != BucketLease.Key).ToList();
            if (!request.DryRun)
                foreach (var batch in objects.Chunk(1000))
                    await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = request.BucketName, Objects = batch.ToList() }, cancellation);
            done.Add($"S3: {verb} {objects.Count} objects and versions of {request.BucketName}");
            log.Info(done[^1]);
        }

        var ecr = clients.Ecr;
        if (repository is null)
        {
            done.Add($"ECR: no repository {request.RepositoryName}");
        }
        else
        {
            var images = await ecr.ListImagesAsync(request.RepositoryName, cancellation);
            if (!request.DryRun && images.Count > 0) await ecr.BatchDeleteImageAsync(request.RepositoryName, images, cancellation);
            done.Add($"ECR: {verb} {images.Count} images of {request.RepositoryName}");
        }
        log.Info(done[^1]);
    }

    /// <summary>Every version and delete marker where the bucket keeps versions; every object where the server has no versions.</summary>
    private static async Task<List<KeyVersion>> ListAllVersionsAsync(IAmazonS3 s3, string bucket, CancellationToken cancellation, string? prefix = null)
    {
        var result = new List<KeyVersion>();
        try
        {
            var request = new ListVersionsRequest { BucketName = bucket, Prefix = prefix };
            ListVersionsResponse page;
            do
            {
                page = await s3.ListVersionsAsync(request, cancellation);
                result.AddRange((page.Versions ?? []).Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId is null or "null" ? null : v.VersionId }));
                request.KeyMarker = page.NextKeyMarker;
                request.VersionIdMarker = page.NextVersionIdMarker;
            }
            while (page.IsTruncated == true);
            return result;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "NotImplemented" or "MethodNotAllowed")
        {
            result.Clear();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            return result;
        }
        var list = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        ListObjectsV2Response objects;
        do
        {
            objects = await s3.ListObjectsV2Async(list, cancellation);
            result.AddRange((objects.S3Objects ?? []).Select(o => new KeyVersion { Key = o.Key }));
            list.ContinuationToken = objects.NextContinuationToken;
        }
        while (objects.IsTruncated == true);
        return result;
    }
}
