using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quetzal.LocalAws;

// Settings come from the environment so that eng/stack.sh and the tests choose keys and tokens (canaries included).
var settings = new Settings(
    AccessKey: Environment.GetEnvironmentVariable("QUETZAL_LOCAL_ACCESS_KEY") ?? "S3RVER",
    SecretKey: Environment.GetEnvironmentVariable("QUETZAL_LOCAL_SECRET_KEY") ?? "S3RVER",
    RegistryToken: Environment.GetEnvironmentVariable("QUETZAL_LOCAL_REGISTRY_TOKEN") ?? "local-token",
    Registry: Environment.GetEnvironmentVariable("QUETZAL_LOCAL_REGISTRY") ?? "127.0.0.1:5001",
    AccountId: Environment.GetEnvironmentVariable("QUETZAL_LOCAL_ACCOUNT_ID") ?? "123456789012",
    PageSize: int.TryParse(Environment.GetEnvironmentVariable("QUETZAL_LOCAL_PAGE_SIZE"), out var pageSize) ? pageSize : 2,
    UpdateDelay: TimeSpan.FromMilliseconds(int.TryParse(Environment.GetEnvironmentVariable("QUETZAL_LOCAL_UPDATE_DELAY_MS"), out var delay) ? delay : 600),
    ConditionalS3Port: int.TryParse(Environment.GetEnvironmentVariable("QUETZAL_LOCAL_CONDITIONAL_S3_PORT"), out var s3Port) ? s3Port : 4569);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
var state = new State(settings);
var conditionalS3 = new ConditionalS3(new Uri(Environment.GetEnvironmentVariable("QUETZAL_LOCAL_S3_UPSTREAM") ?? "http://127.0.0.1:4568"), state.Count);
var verifier = new SigV4Verifier(settings.AccessKey, settings.SecretKey);
var registry = new HttpClient();
registry.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"AWS:{settings.RegistryToken}")));

app.MapGet("/_local/health", () => Results.Ok("ok"));
app.MapGet("/_local/stats", () => Results.Json(state.Counts.ToDictionary(p => p.Key, p => p.Value)));
app.MapPost("/_local/reset-stats", () => { state.Counts.Clear(); return Results.Ok(); });
// Tests put a fault-injecting proxy between the Docker engine and the registry: the repository's URI then names the
// proxy (the engine pushes where the URI says), while this control plane keeps reading the registry directly.
app.MapPost("/_local/repository-host", (string repository, string host) =>
{
    if (!state.Repositories.TryGetValue(repository, out var found)) return Results.NotFound();
    found["repositoryUri"] = $"{host}/{repository}";
    return Results.Ok();
});

// Every AWS call: verify the signature, count it, dispatch by protocol.
app.Map("/{**path}", async (HttpContext http) =>
{
    using var buffer = new MemoryStream();
    await http.Request.Body.CopyToAsync(buffer);
    var body = buffer.ToArray();
    if (http.Connection.LocalPort == settings.ConditionalS3Port)
    {
        await conditionalS3.ForwardAsync(http, body);
        return Results.Empty;
    }
    var check = verifier.Verify(http.Request, body);
    var target = http.Request.Headers["X-Amz-Target"].ToString();
    if (!check.Ok) return Error(check.Service == "lambda" ? Protocol.Rest : Protocol.Json, 403, check.ErrorType!, check.Message!);

    if (target.Length > 0)
    {
        var operation = target[(target.IndexOf('.') + 1)..];
        state.Count(operation);
        var input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
        try
        {
            return target.StartsWith("AmazonEC2ContainerRegistry_V20150921.", StringComparison.Ordinal) ? Ecr(operation, input)
                : target.StartsWith("AWSStepFunctions.", StringComparison.Ordinal) ? StepFunctions(operation, input)
                : Error(Protocol.Json, 400, "UnknownOperationException", target);
        }
        catch (AwsError e)
        {
            return Error(Protocol.Json, e.Status, e.Type, e.Message);
        }
    }
    try
    {
        return await Lambda(http.Request.Method, http.Request.Path.Value ?? "", body);
    }
    catch (AwsError e)
    {
        return Error(Protocol.Rest, e.Status, e.Type, e.Message);
    }
});

app.Run();

IResult Ecr(string operation, JsonObject input)
{
    switch (operation)
    {
        case "GetAuthorizationToken":
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"AWS:{settings.RegistryToken}"));
            return Json(new JsonObject
            {
                ["authorizationData"] = new JsonArray(new JsonObject
                {
                    ["authorizationToken"] = token,
                    ["expiresAt"] = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds(),
                    ["proxyEndpoint"] = $"http://{settings.Registry}",
                }),
            });
        case "ListImages":
        {
            var repositoryName = (string)input["repositoryName"]!;
            if (state.Repository(repositoryName, create: false) is null)
                throw new AwsError(400, "RepositoryNotFoundException", $"The repository with name '{repositoryName}' does not exist");
            var tags = RegistryJson($"/v2/{repositoryName}/tags/list")?["tags"] as JsonArray ?? [];
            var ids = new JsonArray();
            foreach (var tag in tags.Select(x => (string)x!))
            {
                using var head = new HttpRequestMessage(HttpMethod.Head, $"http://{settings.Registry}/v2/{repositoryName}/manifests/{tag}");
                head.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
                using var answer = registry.Send(head);
                if (answer.IsSuccessStatusCode) ids.Add(new JsonObject { ["imageDigest"] = answer.Headers.GetValues("Docker-Content-Digest").Single(), ["imageTag"] = tag });
            }
            return Json(new JsonObject { ["imageIds"] = ids });
        }
        case "BatchDeleteImage":
        {
            var repositoryName = (string)input["repositoryName"]!;
            var deleted = new JsonArray();
            var failures = new JsonArray();
            foreach (var id in input["imageIds"]!.AsArray())
            {
                var digest = (string?)id!["imageDigest"];
                using var request = new HttpRequestMessage(HttpMethod.Delete, $"http://{settings.Registry}/v2/{repositoryName}/manifests/{digest}");
                using var answer = registry.Send(request);
                if (answer.IsSuccessStatusCode || answer.StatusCode == System.Net.HttpStatusCode.NotFound) deleted.Add(id.DeepClone());
                else failures.Add(new JsonObject { ["imageId"] = id.DeepClone(), ["failureCode"] = "ImageNotFound", ["failureReason"] = $"registry answered {(int)answer.StatusCode}" });
            }
            return Json(new JsonObject { ["imageIds"] = deleted, ["failures"] = failures });
        }
        case "CreateRepository":
            var created = state.Repository((string)input["repositoryName"]!, create: true);
            return Json(new JsonObject { ["repository"] = created });
        case "DescribeRepositories":
            var names = input["repositoryNames"]?.AsArray().Select(n => (string)n!).ToArray() ?? state.Repositories.Keys.ToArray();
            var found = new JsonArray();
            foreach (var name in names)
                found.Add(state.Repository(name, create: false) ?? throw new AwsError(400, "RepositoryNotFoundException",
                    $"The repository with name '{name}' does not exist in the registry with id '{settings.AccountId}'"));
            return Json(new JsonObject { ["repositories"] = found });
        default:
            throw new AwsError(400, "UnknownOperationException", operation);
    }
}

IResult StepFunctions(string operation, JsonObject input)
{
    switch (operation)
    {
        case "ListStateMachines":
            var all = state.Machines.Values.OrderBy(m => (string)m["name"]!, StringComparer.Ordinal).ToArray();
            var start = int.TryParse((string?)input["nextToken"], out var s) ? s : 0;
            var size = Math.Min(settings.PageSize, (int?)input["maxResults"] is int m and > 0 ? m : settings.PageSize);
            var page = new JsonArray(all.Skip(start).Take(size).Select(x => (JsonNode)new JsonObject
            {
                ["stateMachineArn"] = (string)x["stateMachineArn"]!, ["name"] = (string)x["name"]!, ["type"] = "STANDARD", ["creationDate"] = (double)x["creationDate"]!,
            }).ToArray());
            var result = new JsonObject { ["stateMachines"] = page };
            if (start + size < all.Length) result["nextToken"] = (start + size).ToString();
            return Json(result);
        case "CreateStateMachine":
            var name = (string)input["name"]!;
            CheckDefinition((string?)input["definition"]);
            var arn = $"arn:aws:states:ca-central-1:{settings.AccountId}:stateMachine:{name}";
            if (state.Machines.ContainsKey(arn)) throw new AwsError(400, "StateMachineAlreadyExists", $"State Machine Already Exists: '{arn}'");
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            state.Machines[arn] = new JsonObject
            {
                ["stateMachineArn"] = arn, ["name"] = name, ["status"] = "ACTIVE", ["definition"] = (string)input["definition"]!,
                ["roleArn"] = (string?)input["roleArn"], ["type"] = (string?)input["type"] ?? "STANDARD", ["creationDate"] = now,
            };
            return Json(new JsonObject { ["stateMachineArn"] = arn, ["creationDate"] = now });
        case "DescribeStateMachine":
            return Json(Machine(input).DeepClone());
        case "UpdateStateMachine":
            var machine = Machine(input);
            if (input["definition"] is { } definition)
            {
                CheckDefinition((string?)definition);
                machine["definition"] = (string)definition!;
            }
            if (input["roleArn"] is { } role) machine["roleArn"] = (string)role!;
            return Json(new JsonObject { ["updateDate"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 });
        default:
            throw new AwsError(400, "UnknownOperationException", operation);
    }

    JsonObject Machine(JsonObject request)
        => state.Machines.TryGetValue((string)request["stateMachineArn"]!, out var found) ? found
            : throw new AwsError(400, "StateMachineDoesNotExist", $"State Machine Does Not Exist: '{request["stateMachineArn"]}'");

    static void CheckDefinition(string? definition)
    {
        try
        {
            if (JsonNode.Parse(definition ?? "")?["StartAt"] is null) throw new JsonException("no StartAt");
        }
        catch (JsonException e)
        {
            throw new AwsError(400, "InvalidDefinition", $"Invalid State Machine Definition: '{e.Message}'");
        }
    }
}

async Task<IResult> Lambda(string method, string path, byte[] body)
{
    var segments = path.Trim('/').Split('/');
    if (segments.Length < 2 || segments[0] != "2015-03-31" || segments[1] != "functions") throw new AwsError(404, "UnknownOperationException", path);
    var input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
    var name = segments.Length > 2 ? Uri.UnescapeDataString(segments[2]) : null;
    var tail = segments.Length > 3 ? segments[3] : null;

    switch (method, name, tail)
    {
        case ("POST", null, null):
            state.Count("CreateFunction");
            var functionName = (string)input["FunctionName"]!;
            if (state.Functions.ContainsKey(functionName)) throw new AwsError(409, "ResourceConflictException", $"Function already exist: {functionName}");
            if ((string?)input["PackageType"] != "Image") throw new AwsError(400, "InvalidParameterValueException", "The model's function must be of PackageType Image");
            var imageUri = (string?)input["Code"]?["ImageUri"] ?? throw new AwsError(400, "InvalidParameterValueException", "Code.ImageUri is required");
            var digest = await ResolveImage(imageUri);
            var function = new LambdaFunction(functionName, $"arn:aws:lambda:ca-central-1:{settings.AccountId}:function:{functionName}")
            {
                Role = (string)input["Role"]!, ImageUri = imageUri, Digest = digest,
                MemorySize = (int?)input["MemorySize"] ?? 128, Timeout = (int?)input["Timeout"] ?? 3,
                EphemeralStorage = (int?)input["EphemeralStorage"]?["Size"] ?? 512,
                Environment = input["Environment"]?["Variables"]?.DeepClone().AsObject() ?? new JsonObject(),
                State = "Pending", LastUpdateStatus = "InProgress", ReadyAt = DateTimeOffset.UtcNow + settings.UpdateDelay,
            };
            state.Functions[functionName] = function;
            return Results.Json(function.Configuration(), statusCode: 201);
        case ("GET", not null, null):
            state.Count("GetFunction");
            var f = Function(name);
            return Json(new JsonObject { ["Configuration"] = f.Configuration(), ["Code"] = new JsonObject { ["RepositoryType"] = "ECR", ["ImageUri"] = f.ImageUri, ["ResolvedImageUri"] = f.ResolvedImageUri } });
        case ("GET", not null, "configuration"):
            state.Count("GetFunctionConfiguration");
            return Json(Function(name).Configuration());
        case ("PUT", not null, "code"):
            state.Count("UpdateFunctionCode");
            var target = Function(name);
            target.EnsureIdle();
            var uri = (string?)input["ImageUri"] ?? throw new AwsError(400, "InvalidParameterValueException", "ImageUri is required");
            string? resolved = null;
            try { resolved = await ResolveImage(uri); }
            catch (AwsError e) { target.Fail(e.Message); return Json(target.Configuration()); }
            target.ImageUri = uri;
            target.Digest = resolved;
            target.StartUpdate(settings.UpdateDelay);
            return Json(target.Configuration());
        case ("DELETE", not null, null):
            state.Count("DeleteFunction");
            Function(name);
            state.Functions.TryRemove(name, out _);
            return Results.StatusCode(204);
        case ("PUT", not null, "configuration"):
            state.Count("UpdateFunctionConfiguration");
            var configured = Function(name);
            configured.EnsureIdle();
            if (input["MemorySize"] is { } memory) configured.MemorySize = (int)memory;
            if (input["Timeout"] is { } timeout) configured.Timeout = (int)timeout;
            if (input["EphemeralStorage"]?["Size"] is { } storage) configured.EphemeralStorage = (int)storage;
            if (input["Environment"]?["Variables"] is { } variables) configured.Environment = variables.DeepClone().AsObject();
            if (input["Role"] is { } role) configured.Role = (string)role!;
            configured.StartUpdate(settings.UpdateDelay);
            return Json(configured.Configuration());
        default:
            throw new AwsError(404, "UnknownOperationException", $"{method} {path}");
    }

    LambdaFunction Function(string functionName)
        => state.Functions.TryGetValue(functionName, out var found) ? found
            : throw new AwsError(404, "ResourceNotFoundException", $"Function not found: arn:aws:lambda:ca-central-1:{settings.AccountId}:function:{functionName}");
}

// Lambda, like AWS, resolves an image URI (tag or digest) in the registry and refuses one it cannot find or that is an index.
async Task<string> ResolveImage(string imageUri)
{
    var slash = imageUri.IndexOf('/');
    var at = imageUri.IndexOf('@');
    var colon = imageUri.LastIndexOf(':');
    var (repository, reference) = at > 0 ? (imageUri[(slash + 1)..at], imageUri[(at + 1)..]) : (imageUri[(slash + 1)..colon], imageUri[(colon + 1)..]);
    using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{imageUri[..slash]}/v2/{repository}/manifests/{reference}");
    request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
    request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
    using var response = await registry.SendAsync(request);
    if (!response.IsSuccessStatusCode)
        throw new AwsError(400, "InvalidParameterValueException", $"Source image {imageUri} does not exist. Provide a valid source image.");
    var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
    if (mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("manifest.list", StringComparison.Ordinal))
        throw new AwsError(400, "InvalidParameterValueException", $"The image manifest, config or layer media type for the source image {imageUri} is not supported.");
    return response.Headers.GetValues("Docker-Content-Digest").Single();
}

JsonNode? RegistryJson(string path)
{
    using var response = registry.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{settings.Registry}{path}"));
    return response.IsSuccessStatusCode ? JsonNode.Parse(response.Content.ReadAsStream()) : null;
}

static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/x-amz-json-1.1");

static IResult Error(Protocol protocol, int status, string type, string message)
{
    if (protocol == Protocol.Rest)
        return new ErrorResult(status, new JsonObject { ["Type"] = "User", ["Message"] = message, ["message"] = message }, type);
    return new ErrorResult(status, new JsonObject { ["__type"] = type, ["message"] = message }, null);
}

internal enum Protocol { Json, Rest }

internal sealed record Settings(string AccessKey, string SecretKey, string RegistryToken, string Registry, string AccountId, int PageSize, TimeSpan UpdateDelay, int ConditionalS3Port);

internal sealed class AwsError(int status, string type, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
}

internal sealed class ErrorResult(int status, JsonObject body, string? errorType) : IResult
{
    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = status;
        if (errorType is not null) http.Response.Headers["x-amzn-ErrorType"] = errorType;
        http.Response.ContentType = "application/x-amz-json-1.1";
        return http.Response.WriteAsync(body.ToJsonString());
    }
}

internal sealed class State(Settings settings)
{
    public ConcurrentDictionary<string, int> Counts { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Repositories { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Machines { get; } = new();
    public ConcurrentDictionary<string, LambdaFunction> Functions { get; } = new();

    public void Count(string operation) => Counts.AddOrUpdate(operation, 1, (_, n) => n + 1);

    public JsonObject? Repository(string name, bool create)
    {
        if (create)
            return Repositories.GetOrAdd(name, n => new JsonObject
            {
                ["repositoryName"] = n, ["registryId"] = settings.AccountId,
                ["repositoryArn"] = $"arn:aws:ecr:ca-central-1:{settings.AccountId}:repository/{n}",
                ["repositoryUri"] = $"{settings.Registry}/{n}", ["imageTagMutability"] = "MUTABLE",
                ["createdAt"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            }).DeepClone().AsObject();
        return Repositories.TryGetValue(name, out var found) ? found.DeepClone().AsObject() : null;
    }
}

internal sealed class LambdaFunction(string name, string arn)
{
    public string Role { get; set; } = "";
    public string ImageUri { get; set; } = "";
    public string? Digest { get; set; }
    public int MemorySize { get; set; }
    public int Timeout { get; set; }
    public int EphemeralStorage { get; set; }
    public JsonObject Environment { get; set; } = new();
    public string State { get; set; } = "Active";
    public string LastUpdateStatus { get; set; } = "Successful";
    public string? Reason { get; set; }
    public DateTimeOffset ReadyAt { get; set; }
    private DateTimeOffset _modified = DateTimeOffset.UtcNow;

    public string ResolvedImageUri => $"{Repository(ImageUri)}@{Digest}";

    /// <summary>An image URI without its tag or digest: host[:port]/name.</summary>
    public static string Repository(string imageUri)
    {
        var at = imageUri.IndexOf('@');
        if (at > 0) return imageUri[..at];
        var colon = imageUri.LastIndexOf(':');
        return colon > imageUri.LastIndexOf('/') ? imageUri[..colon] : imageUri;
    }

    public void StartUpdate(TimeSpan delay)
    {
        LastUpdateStatus = "InProgress";
        Reason = null;
        ReadyAt = DateTimeOffset.UtcNow + delay;
        _modified = DateTimeOffset.UtcNow;
    }

    public void Fail(string reason)
    {
        LastUpdateStatus = "Failed";
        Reason = reason;
        ReadyAt = DateTimeOffset.MaxValue;
    }

    /// <summary>Lambda refuses a second update while one is in progress.</summary>
    public void EnsureIdle()
    {
        Settle();
        if (LastUpdateStatus == "InProgress")
            throw new AwsError(409, "ResourceConflictException", $"The operation cannot be performed at this time. An update is in progress for resource: {arn}");
    }

    private void Settle()
    {
        if (DateTimeOffset.UtcNow < ReadyAt || LastUpdateStatus == "Failed") return;
        State = "Active";
        LastUpdateStatus = "Successful";
    }

    public JsonObject Configuration()
    {
        Settle();
        var configuration = new JsonObject
        {
            ["FunctionName"] = name, ["FunctionArn"] = arn, ["Role"] = Role, ["PackageType"] = "Image",
            ["MemorySize"] = MemorySize, ["Timeout"] = Timeout, ["EphemeralStorage"] = new JsonObject { ["Size"] = EphemeralStorage },
            ["Environment"] = new JsonObject { ["Variables"] = Environment.DeepClone() },
            ["Architectures"] = new JsonArray("x86_64"), ["CodeSha256"] = Digest?.Replace("sha256:", "") ?? "",
            ["State"] = State, ["LastUpdateStatus"] = LastUpdateStatus,
            ["LastModified"] = _modified.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'"),
            ["RevisionId"] = Guid.NewGuid().ToString(),
        };
        if (Reason is not null) configuration["LastUpdateStatusReason"] = Reason;
        return configuration;
    }
}
