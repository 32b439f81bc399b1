using Quetzal.Sdk.Model;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using NSubstitute;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>
/// In-memory AWS, registry and Docker engine for the publish pipeline's unit tests: each keeps its state as the
/// service would and records every write in <see cref="Writes"/>, in order, so a test can tell what was done and
/// in which order, with no server.
/// </summary>
public sealed class FakeAws : IAwsClients
{
    public FakeAws(string region = "ca-central-1", string account = "123456789012")
    {
        Region = region;
        Account = account;
        Ecr = new FakeEcr(this);
        Lambda = new FakeLambda(this);
        StepFunctions = new FakeStepFunctions(this);
        Ecs = new FakeEcs(this);
        Engine = new FakeEngine(this);
        S3 = InMemoryS3();
    }

    public string Region { get; }
    public string Account { get; }
    public List<string> Writes { get; } = new();
    public HashSet<string> Repositories { get; } = new();
    public HashSet<string> Buckets { get; } = new();
    /// <summary>Registry: repository path → tag or digest → manifest.</summary>
    public Dictionary<string, Dictionary<string, RegistryClient.Manifest>> Registry_ { get; } = new();
    /// <summary>Registry: digest → the bytes of a blob (config, layer) or manifest.</summary>
    public Dictionary<string, byte[]> RegistryBlobs { get; } = new();
    public Dictionary<string, FunctionState> Functions { get; } = new();
    public Dictionary<string, (string Definition, string Role)> StateMachines { get; } = new();
    /// <summary>Published Lambda versions by function, in order: number → what $LATEST was.</summary>
    public Dictionary<string, List<FunctionVersion>> FunctionVersions { get; } = new();
    /// <summary>Published state machine versions by state machine, in order.</summary>
    public Dictionary<string, List<(int Number, string Definition, string? Description)>> StateMachineVersions { get; } = new();
    /// <summary>Bucket/key → bytes.</summary>
    public Dictionary<string, byte[]> Objects { get; } = new();
    /// <summary>Bucket/key → the user metadata it was put with (x-amz-meta-*).</summary>
    public Dictionary<string, Dictionary<string, string>> Metadata { get; } = new();
    /// <summary>When set, Lambda reports this reason as a failed update.</summary>
    public string? LambdaFailure { get; set; }
    /// <summary>When set, the image build fails with this message (a Dockerfile step that fails).</summary>
    public string? BuildFailure { get; set; }
    /// <summary>When set, a created function goes Failed with this state reason code and reason.</summary>
    public (string Code, string Reason)? CreateFailure { get; set; }
    /// <summary>How many updates Lambda refuses with 409 ("an update is in progress") before it takes one.</summary>
    public int Conflicts { get; set; }

    public IAmazonECR Ecr { get; }
    public IAmazonLambda Lambda { get; }
    public IAmazonStepFunctions StepFunctions { get; }
    public IAmazonECS Ecs { get; }
    /// <summary>Task definition revisions, in registration order (every family), with their status.</summary>
    public List<(TaskDefinitionState Revision, string Status)> TaskDefinitions { get; } = new();
    public IAmazonS3 S3 { get; }
    public S3Profile S3Profile { get; set; } = Quetzal.Sdk.Aws.S3Profile.Aws;
    /// <summary>When set, S3 answers 501 to a conditional write, as s3rver and other S3-compatible servers do.</summary>
    public bool RefuseConditionalWrites { get; set; }
    public IImageEngine Engine { get; }
    public IImageRegistry Registry(RegistryCredentials login) => new FakeRegistry(this);

    public string RegistryHost => "registry.local";

    /// <summary>What infra/ creates: the repository and the bucket.</summary>
    public FakeAws WithInfrastructure(string name)
    {
        Repositories.Add(name);
        Buckets.Add(name);
        return this;
    }

    public void Dispose() { }

    private void Write(string what)
    {
        lock (Writes) Writes.Add(what);
    }

    private sealed class FakeEcr(FakeAws aws) : IAmazonECR
    {
        public Task<RegistryCredentials> GetAuthorizationTokenAsync(CancellationToken cancellation)
            => Task.FromResult(new RegistryCredentials(new Uri($"https://{aws.RegistryHost}"), "AWS", "token"));

        public Task<EcrRepository?> DescribeRepositoryAsync(string name, CancellationToken cancellation)
            => Task.FromResult(aws.Repositories.Contains(name) ? new EcrRepository(name, $"{aws.RegistryHost}/{name}", aws.Account) : null);

        public Task<IReadOnlyList<string>> ListImagesAsync(string repository, CancellationToken cancellation)
            => Task.FromResult<IReadOnlyList<string>>(aws.Registry_.GetValueOrDefault(repository)?.Values.Select(m => m.Digest).Distinct().ToList() ?? []);

        public Task BatchDeleteImageAsync(string repository, IReadOnlyList<string> digests, CancellationToken cancellation)
        {
            aws.Write($"ecr:BatchDeleteImage {repository} {digests.Count}");
            // As ECR: deleting a digest removes the image and every tag that names it.
            if (aws.Registry_.TryGetValue(repository, out var tags))
                foreach (var key in tags.Where(t => digests.Contains(t.Value.Digest)).Select(t => t.Key).ToList()) tags.Remove(key);
            return Task.CompletedTask;
        }
    }

    private sealed class FakeRegistry(FakeAws aws) : IImageRegistry
    {
        public Task<RegistryClient.Manifest?> HeadManifestAsync(string repository, string reference, CancellationToken cancellation)
            => Task.FromResult(aws.Registry_.GetValueOrDefault(repository)?.GetValueOrDefault(reference));

        public Task<(bool Tagged, string Refusal)> TagAsync(string repository, string digest, string tag, CancellationToken cancellation)
        {
            aws.Write($"registry:tag {repository}:{tag}");
            aws.Registry_[repository][tag] = aws.Registry_[repository][digest];
            return Task.FromResult((true, ""));
        }

        public Task<RegistryClient.ManifestContent?> GetManifestAsync(string repository, string reference, CancellationToken cancellation)
            => Task.FromResult(aws.Registry_.GetValueOrDefault(repository)?.GetValueOrDefault(reference) is { } manifest
                ? new RegistryClient.ManifestContent(manifest.Digest, manifest.MediaType, aws.RegistryBlobs[manifest.Digest]) : null);

        public Task<byte[]> GetBlobAsync(string repository, string digest, CancellationToken cancellation) => Task.FromResult(aws.RegistryBlobs[digest]);

        public Task PutBlobAsync(string repository, string digest, ReadOnlyMemory<byte> content, CancellationToken cancellation)
        {
            Assert.Equal(digest, ImageAppend.Digest(content.Span));
            lock (aws.RegistryBlobs) aws.RegistryBlobs[digest] = content.ToArray();
            return Task.CompletedTask;
        }

        public Task<string> PutManifestAsync(string repository, string tag, byte[] manifest, string mediaType, CancellationToken cancellation)
        {
            aws.Write($"registry:put {repository}:{tag}");
            var digest = ImageAppend.Digest(manifest);
            foreach (var layer in System.Text.Json.Nodes.JsonNode.Parse(manifest)!["layers"]!.AsArray().Append(System.Text.Json.Nodes.JsonNode.Parse(manifest)!["config"]))
                Assert.True(aws.RegistryBlobs.ContainsKey((string)layer!["digest"]!), $"the manifest names {layer!["digest"]}, which the registry does not have");
            aws.RegistryBlobs[digest] = manifest;
            aws.Store(repository, tag, new RegistryClient.Manifest(digest, mediaType));
            return Task.FromResult(digest);
        }

        public void Dispose() { }
    }

    private void Store(string repository, string tag, RegistryClient.Manifest manifest)
    {
        if (!Registry_.TryGetValue(repository, out var tags)) Registry_[repository] = tags = new();
        tags[tag] = manifest;
        tags[manifest.Digest] = manifest;
    }

    private sealed class FakeEngine(FakeAws aws) : IImageEngine
    {
        /// <summary>Local image → the digest of its one layer's content.</summary>
        private readonly Dictionary<string, string> _built = new();

        public Task EnsureAvailableAsync(CancellationToken cancellation) => Task.CompletedTask;

        public Task BuildAsync(BuildContext context, string imageName, CancellationToken cancellation) => Build(context.Tar, imageName);

        public Task BuildDependenciesAsync(BuildContext context, string imageName, CancellationToken cancellation)
            => _built.ContainsKey(imageName) ? Task.CompletedTask : Build(context.Stages!.Dependencies, imageName);

        private Task Build(ReadOnlyMemory<byte> tar, string imageName)
        {
            if (aws.BuildFailure is { } failure) throw new QuetzalException(Codes.ImageBuildFailed, failure);
            aws.Write($"docker:build {imageName}");
            _built[imageName] = ImageAppend.Digest(tar.Span);
            return Task.CompletedTask;
        }

        /// <summary>Puts a one-layer image (its layer stands for the context built) with a Lambda base image's environment.</summary>
        public Task PushAsync(string localImage, string repositoryUri, string tag, RegistryCredentials credentials, CancellationToken cancellation)
        {
            aws.Write($"docker:push {repositoryUri}:{tag}");
            var path = repositoryUri[(repositoryUri.IndexOf('/') + 1)..];
            var layer = System.Text.Encoding.UTF8.GetBytes(_built[localImage]);
            var config = System.Text.Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Env":["LAMBDA_TASK_ROOT=/var/task"],"Cmd":["quetzal_handler.handler"]},"rootfs":{"type":"layers","diff_ids":["{{_built[localImage]}}"]},"history":[{"created_by":"build"}]}""");
            var manifest = System.Text.Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":{{config.Length}},"digest":"{{ImageAppend.Digest(config)}}"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{{layer.Length}},"digest":"{{ImageAppend.Digest(layer)}}"}]}""");
            lock (aws.RegistryBlobs)
            {
                aws.RegistryBlobs[ImageAppend.Digest(layer)] = layer;
                aws.RegistryBlobs[ImageAppend.Digest(config)] = config;
                aws.RegistryBlobs[ImageAppend.Digest(manifest)] = manifest;
            }
            aws.Store(path, tag, new RegistryClient.Manifest(ImageAppend.Digest(manifest), "application/vnd.docker.distribution.manifest.v2+json"));
            return Task.CompletedTask;
        }

        public void Dispose() { }
    }

    private sealed class FakeLambda(FakeAws aws) : IAmazonLambda
    {
        /// <summary>As Lambda: an image given by tag runs the digest the tag names when the function is updated.</summary>
        private string Resolve(string imageUri)
        {
            if (imageUri.Contains('@')) return imageUri;
            var colon = imageUri.LastIndexOf(':');
            var repository = imageUri[..colon];
            var path = repository[(repository.IndexOf('/') + 1)..];
            return aws.Registry_.GetValueOrDefault(path)?.GetValueOrDefault(imageUri[(colon + 1)..]) is { } manifest ? $"{repository}@{manifest.Digest}" : imageUri;
        }

        public Task<FunctionState?> GetFunctionAsync(string name, CancellationToken cancellation) => Task.FromResult(aws.Functions.GetValueOrDefault(name));

        public Task<FunctionState> GetFunctionConfigurationAsync(string name, CancellationToken cancellation) => Task.FromResult(aws.Functions[name]);

        public Task CreateFunctionAsync(string name, string imageUri, FunctionSettings settings, CancellationToken cancellation)
        {
            aws.Write($"lambda:CreateFunction {name}");
            aws.Functions[name] = new FunctionState(name, $"arn:{AwsAccount.PartitionOf(aws.Region)}:lambda:{aws.Region}:{aws.Account}:function:{name}",
                imageUri, Resolve(imageUri), settings, aws.LambdaFailure is null && aws.CreateFailure is null ? "Active" : "Failed", aws.LambdaFailure is null ? "Successful" : "Failed", aws.LambdaFailure,
                StateReasonCode: aws.CreateFailure?.Code, StateReason: aws.CreateFailure?.Reason);
            return Task.CompletedTask;
        }

        public Task UpdateFunctionCodeAsync(string name, string imageUri, CancellationToken cancellation)
        {
            if (aws.Conflicts > 0)
            {
                aws.Conflicts--;
                throw new AwsServiceException("lambda", "UpdateFunctionCode", 409, "ResourceConflictException", $"The operation cannot be performed at this time. An update is in progress for resource: {name}");
            }
            aws.Write($"lambda:UpdateFunctionCode {name}");
            aws.Functions[name] = aws.Functions[name] with
            {
                ImageUri = imageUri, ResolvedImageUri = Resolve(imageUri),
                LastUpdateStatus = aws.LambdaFailure is null ? "Successful" : "Failed", LastUpdateStatusReason = aws.LambdaFailure,
            };
            return Task.CompletedTask;
        }

        public Task UpdateFunctionConfigurationAsync(string name, FunctionSettings settings, CancellationToken cancellation)
        {
            aws.Write($"lambda:UpdateFunctionConfiguration {name}");
            aws.Functions[name] = aws.Functions[name] with { Settings = settings };
            return Task.CompletedTask;
        }

        public Task<bool> DeleteFunctionAsync(string name, CancellationToken cancellation)
        {
            aws.Write($"lambda:DeleteFunction {name}");
            aws.FunctionVersions.Remove(name);
            return Task.FromResult(aws.Functions.Remove(name));
        }

        private static string Sha(FunctionState f) => f.ResolvedImageUri is { } r && r.Contains('@') ? r[(r.IndexOf('@') + 1)..].Replace("sha256:", "") : "";

        public Task<FunctionVersion> PublishVersionAsync(string name, string? codeSha256, string description, CancellationToken cancellation)
        {
            var function = aws.Functions[name];
            var versions = aws.FunctionVersions.TryGetValue(name, out var list) ? list : aws.FunctionVersions[name] = new();
            if (versions.LastOrDefault() is { } last && last.CodeSha256 == Sha(function) && last.Settings == function.Settings) return Task.FromResult(last);
            aws.Write($"lambda:PublishVersion {name}");
            var number = (versions.Select(v => int.Parse(v.Version)).DefaultIfEmpty(0).Max() + 1).ToString();
            var version = new FunctionVersion(number, $"{function.Arn}:{number}", Sha(function), description, function.Settings);
            versions.Add(version);
            return Task.FromResult(version);
        }

        public Task<IReadOnlyList<FunctionVersion>> ListVersionsByFunctionAsync(string name, CancellationToken cancellation)
            => Task.FromResult<IReadOnlyList<FunctionVersion>>(aws.FunctionVersions.GetValueOrDefault(name)?.ToList() ?? []);

        public Task<FunctionState?> GetFunctionVersionAsync(string name, string version, CancellationToken cancellation)
            => Task.FromResult(aws.FunctionVersions.GetValueOrDefault(name)?.FirstOrDefault(v => v.Version == version) is { } found && aws.Functions.TryGetValue(name, out var f)
                ? f with { Arn = found.Arn, Settings = found.Settings } : null);

        public Task<bool> DeleteFunctionVersionAsync(string name, string version, CancellationToken cancellation)
        {
            aws.Write($"lambda:DeleteFunction {name}:{version}");
            return Task.FromResult(aws.FunctionVersions.GetValueOrDefault(name)?.RemoveAll(v => v.Version == version) > 0);
        }
    }

    private sealed class FakeStepFunctions(FakeAws aws) : IAmazonStepFunctions
    {
        private string Arn(string name) => $"arn:{AwsAccount.PartitionOf(aws.Region)}:states:{aws.Region}:{aws.Account}:stateMachine:{name}";

        public async Task<StateMachineState> DescribeStateMachineAsync(string arn, CancellationToken cancellation)
            => await TryDescribeStateMachineAsync(arn, cancellation) ?? throw new AwsServiceException("states", "DescribeStateMachine", 400, "StateMachineDoesNotExist", arn);

        public Task<StateMachineState?> TryDescribeStateMachineAsync(string arn, CancellationToken cancellation)
        {
            var parts = arn.Split(':');
            if (parts.Length > 7)
                return Task.FromResult(aws.StateMachineVersions.GetValueOrDefault(parts[6])?.Where(v => v.Number.ToString() == parts[7])
                    .Select(v => new StateMachineState(arn, v.Definition, aws.StateMachines[parts[6]].Role, "r" + v.Number, v.Description)).FirstOrDefault());
            return Task.FromResult(aws.StateMachines.Where(p => Arn(p.Key) == arn).Select(p => new StateMachineState(arn, p.Value.Definition, p.Value.Role,
                aws.StateMachineVersions.GetValueOrDefault(p.Key)?.LastOrDefault(v => v.Definition == p.Value.Definition) is { Number: > 0 } v ? "r" + v.Number : null)).FirstOrDefault());
        }

        public Task<(string Arn, string? VersionArn)> CreateStateMachineAsync(string name, string definition, string roleArn, string? versionDescription, CancellationToken cancellation)
        {
            aws.Write($"states:CreateStateMachine {name}");
            aws.StateMachines[name] = (definition, roleArn);
            return Task.FromResult((Arn(name), versionDescription is null ? null : Publish(name, versionDescription)));
        }

        private string Publish(string name, string description)
        {
            var versions = aws.StateMachineVersions.TryGetValue(name, out var list) ? list : aws.StateMachineVersions[name] = new();
            var number = versions.Select(v => v.Number).DefaultIfEmpty(0).Max() + 1;
            versions.Add((number, aws.StateMachines[name].Definition, description));
            return $"{Arn(name)}:{number}";
        }

        public Task<IReadOnlyList<(string VersionArn, DateTimeOffset Created)>> ListStateMachineVersionsAsync(string arn, CancellationToken cancellation)
        {
            var name = arn[(arn.LastIndexOf(':') + 1)..];
            if (!aws.StateMachines.ContainsKey(name)) throw new AwsServiceException("states", "ListStateMachineVersions", 400, "StateMachineDoesNotExist", arn);
            return Task.FromResult<IReadOnlyList<(string, DateTimeOffset)>>((aws.StateMachineVersions.GetValueOrDefault(name) ?? []).AsEnumerable().Reverse()
                .Select(v => ($"{arn}:{v.Number}", DateTimeOffset.UnixEpoch)).ToList());
        }

        public Task DeleteStateMachineVersionAsync(string versionArn, CancellationToken cancellation)
        {
            aws.Write($"states:DeleteStateMachineVersion {versionArn}");
            var parts = versionArn.Split(':');
            aws.StateMachineVersions.GetValueOrDefault(parts[6])?.RemoveAll(v => v.Number == int.Parse(parts[7]));
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<string>> ListExecutionsAsync(string stateMachineArn, string status, CancellationToken cancellation) => Task.FromResult<IReadOnlyList<string>>([]);
        public Task<StateMachineState> DescribeStateMachineForExecutionAsync(string executionArn, CancellationToken cancellation) => throw new NotSupportedException();

        public Task<string> StartExecutionAsync(string stateMachineArn, string name, string input, CancellationToken cancellation) => throw new NotSupportedException("executions run against the local stack");
        public Task<ExecutionState> DescribeExecutionAsync(string executionArn, CancellationToken cancellation) => throw new NotSupportedException();
        public Task<HistoryPage> GetExecutionHistoryAsync(string executionArn, string? nextToken, bool reverseOrder, CancellationToken cancellation) => throw new NotSupportedException();
        public Task StopExecutionAsync(string executionArn, string? error, string? cause, CancellationToken cancellation) => throw new NotSupportedException();

        public Task<string?> UpdateStateMachineAsync(string arn, string definition, string? versionDescription, CancellationToken cancellation)
        {
            aws.Write($"states:UpdateStateMachine {arn}");
            var name = arn[(arn.LastIndexOf(':') + 1)..];
            aws.StateMachines[name] = (definition, aws.StateMachines[name].Role);
            return Task.FromResult(versionDescription is null ? null : Publish(name, versionDescription));
        }
    }

    private sealed class FakeEcs(FakeAws aws) : IAmazonECS
    {
        public Task<TaskDefinitionState?> DescribeTaskDefinitionAsync(string familyOrArn, CancellationToken cancellation)
            => Task.FromResult<TaskDefinitionState?>(aws.TaskDefinitions.LastOrDefault(t => t.Status == "ACTIVE" && (EcsClient.FamilyOf(t.Revision.Arn) == familyOrArn || t.Revision.Arn == familyOrArn)).Revision);

        public Task<TaskDefinitionState> RegisterTaskDefinitionAsync(System.Text.Json.Nodes.JsonObject definition, CancellationToken cancellation)
        {
            var family = (string)definition["family"]!;
            aws.Write($"ecs:RegisterTaskDefinition {family}");
            var revision = aws.TaskDefinitions.Count(t => EcsClient.FamilyOf(t.Revision.Arn) == family) + 1;
            var described = (System.Text.Json.Nodes.JsonObject)definition.DeepClone();
            var arn = $"arn:{AwsAccount.PartitionOf(aws.Region)}:ecs:{aws.Region}:{aws.Account}:task-definition/{family}:{revision}";
            described["taskDefinitionArn"] = arn;
            described["revision"] = revision;
            var state = new TaskDefinitionState(arn, revision, described);
            aws.TaskDefinitions.Add((state, "ACTIVE"));
            return Task.FromResult(state);
        }

        public Task<IReadOnlyList<string>> ListTaskDefinitionsAsync(string family, string status, CancellationToken cancellation)
            => Task.FromResult<IReadOnlyList<string>>(aws.TaskDefinitions.Where(t => t.Status == status && EcsClient.FamilyOf(t.Revision.Arn) == family).Select(t => t.Revision.Arn).ToList());

        public Task DeregisterTaskDefinitionAsync(string arn, CancellationToken cancellation)
        {
            aws.Write($"ecs:DeregisterTaskDefinition {arn}");
            var index = aws.TaskDefinitions.FindIndex(t => t.Revision.Arn == arn);
            aws.TaskDefinitions[index] = (aws.TaskDefinitions[index].Revision, "INACTIVE");
            return Task.CompletedTask;
        }
    }

    /// <summary>The few S3 operations a publish and its lease call, on <see cref="Objects"/>; NoSuchBucket for a bucket infra did not create.</summary>
    private IAmazonS3 InMemoryS3()
    {
        var s3 = Substitute.For<IAmazonS3>();
        void Bucket(string name)
        {
            if (!Buckets.Contains(name)) throw new AmazonS3Exception("The specified bucket does not exist") { ErrorCode = "NoSuchBucket", StatusCode = HttpStatusCode.NotFound };
        }
        static string ETag(byte[] bytes) => "\"" + Convert.ToHexStringLower(MD5.HashData(bytes)) + "\"";

        s3.ListObjectsV2Async(Arg.Any<ListObjectsV2Request>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var request = call.Arg<ListObjectsV2Request>();
            Bucket(request.BucketName);
            lock (Objects)
                return new ListObjectsV2Response
                {
                    IsTruncated = false,
                    S3Objects = Objects.Where(o => o.Key.StartsWith(request.BucketName + "/" + request.Prefix, StringComparison.Ordinal))
                        .Select(o => new S3Object { Key = o.Key[(request.BucketName.Length + 1)..], Size = o.Value.Length, ETag = ETag(o.Value) }).ToList(),
                };
        });
        s3.PutObjectAsync(Arg.Any<PutObjectRequest>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var request = call.Arg<PutObjectRequest>();
            Bucket(request.BucketName);
            var key = request.BucketName + "/" + request.Key;
            var bytes = request.FilePath is not null ? File.ReadAllBytes(request.FilePath) : System.Text.Encoding.UTF8.GetBytes(request.ContentBody ?? "");
            if (RefuseConditionalWrites && (request.IfNoneMatch is not null || request.IfMatch is not null))
                throw new AmazonS3Exception("A header you provided implies functionality that is not implemented") { ErrorCode = "NotImplemented", StatusCode = HttpStatusCode.NotImplemented };
            lock (Objects)
            {
                if (request.IfNoneMatch == "*" && Objects.ContainsKey(key))
                    throw new AmazonS3Exception("At least one of the pre-conditions you specified did not hold") { StatusCode = HttpStatusCode.PreconditionFailed };
                Objects[key] = bytes;
                Metadata[key] = request.Metadata.Keys.ToDictionary(k => k.Replace("x-amz-meta-", ""), k => request.Metadata[k]);
            }
            Write($"s3:PutObject {request.Key}");
            return new PutObjectResponse { ETag = ETag(bytes) };
        });
        s3.GetObjectAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            byte[]? bytes;
            lock (Objects) bytes = Objects.GetValueOrDefault(call.ArgAt<string>(0) + "/" + call.ArgAt<string>(1));
            if (bytes is null) throw new AmazonS3Exception("Not Found") { ErrorCode = "NoSuchKey", StatusCode = HttpStatusCode.NotFound };
            return new GetObjectResponse { ResponseStream = new MemoryStream(bytes), ETag = ETag(bytes) };
        });
        s3.DeleteObjectAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            lock (Objects) Objects.Remove(call.ArgAt<string>(0) + "/" + call.ArgAt<string>(1));
            Write($"s3:DeleteObject {call.ArgAt<string>(1)}");
            return new DeleteObjectResponse();
        });
        // No versions, as an S3-compatible server without them answers (a teardown then lists the objects).
        s3.ListVersionsAsync(Arg.Any<ListVersionsRequest>(), Arg.Any<CancellationToken>())
            .Returns<Task<ListVersionsResponse>>(_ => throw new AmazonS3Exception("versions are not implemented") { ErrorCode = "NotImplemented" });
        s3.DeleteObjectsAsync(Arg.Any<DeleteObjectsRequest>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var request = call.Arg<DeleteObjectsRequest>();
            lock (Objects)
                foreach (var key in request.Objects) Objects.Remove(request.BucketName + "/" + key.Key);
            Write($"s3:DeleteObjects {string.Join(",", request.Objects.Select(o => o.Key))}");
            return new DeleteObjectsResponse();
        });
        return s3;
    }
}

/// <summary>An <see cref="IPublishLog"/> that keeps every line.</summary>
public sealed class ListLog : IPublishLog
{
    public List<string> Lines { get; } = new();
    public void Info(string message) { lock (Lines) Lines.Add(message); }
    public void Detail(string message) { lock (Lines) Lines.Add(message); }
    public void Warning(Diagnostic diagnostic) { lock (Lines) Lines.Add(diagnostic.ToString()); }
}

/// <summary>The publish request of a copy of the template's model, as the project's defaults make it, and its publish on in-memory services.</summary>
public static class TemplateRequest
{
    public static async Task<Quetzal.Sdk.Publish.PublishPipeline> PublishAsync(FakeAws aws, Quetzal.Sdk.Publish.PublishRequest request, IPublishLog log)
    {
        var pipeline = new Quetzal.Sdk.Publish.PublishPipeline(aws, log);
        await pipeline.PublishAsync(request, default);
        return pipeline;
    }

    public static Quetzal.Sdk.Publish.PublishRequest For(string model, string name) => new()
    {
        ModelDirectory = model, Names = new Quetzal.Sdk.Model.ModelResources(name, name, name, name, name),
        MemorySize = 4016, Timeout = 300, EphemeralStorage = 4016,
        StateMachinePath = Path.Combine(model, "step-functions.json"), ScenariosDirectory = Path.Combine(model, "scenarios"), Scenarios = ["base"],
        HandlerDirectory = Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild", "handler"),
        LeaseTimeout = TimeSpan.FromSeconds(5), LambdaWait = TimeSpan.FromSeconds(5),
    };
}
