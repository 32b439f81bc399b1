using Quetzal.Sdk.Model;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>Lambda's control plane (REST-JSON under /2015-03-31/functions): image functions whose updates take a moment, as Lambda's do.</summary>
internal sealed class LambdaService(Settings settings, Stats stats, Registry registry)
{
    public ConcurrentDictionary<string, LambdaFunction> Functions { get; } = new();

    public async Task<IResult> HandleAsync(string method, string path, byte[] body)
    {
        var segments = path.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "2015-03-31" || segments[1] != "functions") throw new AwsError(404, "UnknownOperationException", path);
        var input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
        var name = segments.Length > 2 ? Uri.UnescapeDataString(segments[2]) : null;
        var tail = segments.Length > 3 ? segments[3] : null;

        switch (method, name, tail)
        {
            case ("POST", null, null):
                stats.Count("CreateFunction");
                var functionName = (string)input["FunctionName"]!;
                if (Functions.ContainsKey(functionName)) throw new AwsError(409, "ResourceConflictException", $"Function already exist: {functionName}");
                if ((string?)input["PackageType"] != "Image") throw new AwsError(400, "InvalidParameterValueException", "The model's function must be of PackageType Image");
                var imageUri = (string?)input["Code"]?["ImageUri"] ?? throw new AwsError(400, "InvalidParameterValueException", "Code.ImageUri is required");
                var digest = await registry.ResolveAsync(imageUri);
                var function = new LambdaFunction(functionName, settings.Arn("lambda", $"function:{functionName}"))
                {
                    Role = (string)input["Role"]!, ImageUri = imageUri, Digest = digest,
                    MemorySize = (int?)input["MemorySize"] ?? 128, Timeout = (int?)input["Timeout"] ?? 3,
                    EphemeralStorage = (int?)input["EphemeralStorage"]?["Size"] ?? 512,
                    Environment = input["Environment"]?["Variables"]?.DeepClone().AsObject() ?? new JsonObject(),
                    State = "Pending", LastUpdateStatus = "InProgress", ReadyAt = DateTimeOffset.UtcNow + settings.UpdateDelay,
                };
                Functions[functionName] = function;
                return Results.Json(function.Configuration(), statusCode: 201);
            case ("GET", not null, null):
                stats.Count("GetFunction");
                var f = Function(name);
                return Json(new JsonObject { ["Configuration"] = f.Configuration(), ["Code"] = new JsonObject { ["RepositoryType"] = "ECR", ["ImageUri"] = f.ImageUri, ["ResolvedImageUri"] = f.ResolvedImageUri } });
            case ("GET", not null, "configuration"):
                stats.Count("GetFunctionConfiguration");
                return Json(Function(name).Configuration());
            case ("PUT", not null, "code"):
                stats.Count("UpdateFunctionCode");
                var target = Function(name);
                target.EnsureIdle();
                var uri = (string?)input["ImageUri"] ?? throw new AwsError(400, "InvalidParameterValueException", "ImageUri is required");
                string? resolved = null;
                try { resolved = await registry.ResolveAsync(uri); }
                catch (AwsError e) { target.Fail(e.Message); return Json(target.Configuration()); }
                target.ImageUri = uri;
                target.Digest = resolved;
                target.StartUpdate(settings.UpdateDelay);
                return Json(target.Configuration());
            case ("DELETE", not null, null):
                stats.Count("DeleteFunction");
                Function(name);
                Functions.TryRemove(name, out _);
                return Results.StatusCode(204);
            case ("PUT", not null, "configuration"):
                stats.Count("UpdateFunctionConfiguration");
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
    }

    private LambdaFunction Function(string functionName)
        => Functions.TryGetValue(functionName, out var found) ? found
            : throw new AwsError(404, "ResourceNotFoundException", $"Function not found: {settings.Arn("lambda", $"function:{functionName}")}");
}

internal sealed class LambdaFunction(string name, string arn)
{
    public string Name => name;
    public string Arn => arn;
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
    public string? ReasonCode { get; set; }
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
        Reason = ReasonCode = null;
        ReadyAt = DateTimeOffset.UtcNow + delay;
        _modified = DateTimeOffset.UtcNow;
    }

    public void Fail(string reason)
    {
        LastUpdateStatus = "Failed";
        ReasonCode = "InvalidImage";
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
        // As Lambda: an Inactive function (idle for weeks) takes an update and stays Inactive until it is invoked.
        if (State != "Inactive") State = "Active";
        LastUpdateStatus = "Successful";
    }

    /// <summary>An invocation: an update must have settled; an Inactive function becomes Active again (the first invocation wakes it).</summary>
    public void EnsureInvocable()
    {
        Settle();
        if (State == "Inactive") State = "Active";
        if (State != "Active" || LastUpdateStatus == "InProgress")
            throw new Quetzal.Sdk.Model.StateError("Lambda.ResourceNotReadyException", $"{{\"errorMessage\":\"The function {name} is {State}: try again\"}}");
    }

    /// <summary>What Lambda does to a function unused for weeks (tests ask for it).</summary>
    public void Deactivate()
    {
        Settle();
        State = "Inactive";
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
        if (ReasonCode is not null) configuration["LastUpdateStatusReasonCode"] = ReasonCode;
        return configuration;
    }
}
