using Quetzal.Sdk.Model;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using static Quetzal.LocalAws.Responses;

namespace Quetzal.LocalAws;

/// <summary>
/// Lambda's control plane (REST-JSON under /2015-03-31/functions): image functions whose updates take a moment, as
/// Lambda's do, and their published versions (PublishVersion, a qualifier on GetFunction, GetFunctionConfiguration,
/// DeleteFunction and on an invoked ARN, ListVersionsByFunction): a version is a snapshot of $LATEST's code (by
/// digest) and configuration, numbered from 1 and never renumbered; publishing when $LATEST has not changed since the
/// last version returns that version.
/// </summary>
internal sealed class LambdaService(Settings settings, Stats stats, Registry registry)
{
    public ConcurrentDictionary<string, LambdaFunction> Functions { get; } = new();

    /// <summary>What a function name, partial ARN or ARN, with an optional qualifier (":7", "$LATEST" or a query's Qualifier), names: the function and the version (null: $LATEST).</summary>
    public (LambdaFunction Function, LambdaFunction Target) Resolve(string nameOrArn, string? qualifier)
    {
        var parts = nameOrArn.Split(':');
        string name;
        if (parts.Length >= 7 && parts[0] == "arn") { name = parts[6]; if (parts.Length > 7) qualifier ??= parts[7]; }
        else if (parts.Length == 2) { name = parts[0]; qualifier ??= parts[1]; }
        else name = nameOrArn;
        var function = Function(name);
        if (qualifier is null or "$LATEST") return (function, function);
        return function.Versions.TryGetValue(qualifier, out var version) ? (function, version)
            : throw new AwsError(404, "ResourceNotFoundException", $"Function not found: {function.Arn}:{qualifier}");
    }

    public async Task<IResult> HandleAsync(string method, string path, byte[] body, IReadOnlyDictionary<string, string>? query = null)
    {
        var qualifier = query?.GetValueOrDefault("Qualifier");
        var marker = query?.GetValueOrDefault("Marker");
        int? maxItems = int.TryParse(query?.GetValueOrDefault("MaxItems"), out var max) ? max : null;
        var segments = path.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "2015-03-31" || segments[1] != "functions") throw new AwsError(404, "UnknownOperationException", path);
        var input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
        var name = segments.Length > 2 ? Uri.UnescapeDataString(segments[2]) : null;
        var tail = segments.Length > 3 ? segments[3] : null;

        switch (method, name, tail)
        {
            case ("GET", null, null):
            {
                // ListFunctions: what `aws lambda list-functions` reads back; each function's $LATEST, by name, in pages.
                stats.Count("ListFunctions");
                var all = Functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
                var start = int.TryParse(marker, out var from) ? from : 0;
                var size = Math.Min(maxItems ?? 50, 50);
                var listed = new JsonObject { ["Functions"] = new JsonArray(all.Skip(start).Take(size).Select(f => (JsonNode)f.Configuration()).ToArray()) };
                if (start + size < all.Count) listed["NextMarker"] = (start + size).ToString();
                return Json(listed);
            }
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
                var f = Resolve(name, qualifier).Target;
                return Json(new JsonObject { ["Configuration"] = f.Configuration(), ["Code"] = new JsonObject { ["RepositoryType"] = "ECR", ["ImageUri"] = f.ImageUri, ["ResolvedImageUri"] = f.ResolvedImageUri } });
            case ("GET", not null, "configuration"):
                stats.Count("GetFunctionConfiguration");
                return Json(Resolve(name, qualifier).Target.Configuration());
            case ("POST", not null, "versions"):
            {
                stats.Count("PublishVersion");
                var published = Function(name);
                published.EnsureIdle();
                if ((string?)input["CodeSha256"] is { } sha && sha != published.CodeSha256)
                    throw new AwsError(412, "PreconditionFailedException", $"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({published.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.");
                return Results.Text(published.Publish((string?)input["Description"] ?? "").Configuration().ToJsonString(), "application/json", statusCode: 201);
            }
            case ("GET", not null, "versions"):
            {
                stats.Count("ListVersionsByFunction");
                var listed = Function(name);
                var all = new[] { listed }.Concat(listed.Versions.Values.OrderBy(v => int.Parse(v.Version))).ToList();
                var start = int.TryParse(marker, out var m) ? m : 0;
                var size = Math.Min(maxItems ?? 50, 50);
                var result = new JsonObject { ["Versions"] = new JsonArray(all.Skip(start).Take(size).Select(v => (JsonNode)v.Configuration()).ToArray()) };
                if (start + size < all.Count) result["NextMarker"] = (start + size).ToString();
                return Json(result);
            }
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
                var (deleted, version) = Resolve(name, qualifier);
                if (version != deleted) deleted.Versions.TryRemove(version.Version, out _);
                else Functions.TryRemove(deleted.Name, out _);
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

internal sealed class LambdaFunction(string name, string arn, string version = "$LATEST")
{
    public string Name => name;
    public string Arn => arn;
    /// <summary>"$LATEST", or the number of a published version.</summary>
    public string Version => version;
    public string Description { get; set; } = "";
    /// <summary>The published versions, by number (on $LATEST only).</summary>
    public ConcurrentDictionary<string, LambdaFunction> Versions { get; } = new();
    private int _lastVersion;
    private readonly object _gate = new();

    /// <summary>Code as Lambda hashes an image function's: the image manifest's digest, without its algorithm.</summary>
    public string CodeSha256 => Digest?.Replace("sha256:", "") ?? "";

    /// <summary>
    /// PublishVersion: a snapshot of $LATEST (code by digest, configuration) under the next number; the last version
    /// when neither has changed since it was published.
    /// </summary>
    public LambdaFunction Publish(string description)
    {
        lock (_gate)
        {
            if (_lastVersion > 0 && Versions.TryGetValue(_lastVersion.ToString(), out var last) && last.SameAs(this)) return last;
            var number = (++_lastVersion).ToString();
            var snapshot = new LambdaFunction(name, $"{arn}:{number}", number)
            {
                Role = Role, ImageUri = ImageUri, Digest = Digest, MemorySize = MemorySize, Timeout = Timeout, EphemeralStorage = EphemeralStorage,
                Environment = (JsonObject)Environment.DeepClone(), Description = description, State = "Active",
            };
            Versions[number] = snapshot;
            return snapshot;
        }
    }

    private bool SameAs(LambdaFunction other)
        => Digest == other.Digest && Role == other.Role && MemorySize == other.MemorySize && Timeout == other.Timeout
           && EphemeralStorage == other.EphemeralStorage && JsonNode.DeepEquals(Environment, other.Environment);
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
            ["FunctionName"] = name, ["FunctionArn"] = arn, ["Role"] = Role, ["PackageType"] = "Image", ["Version"] = version, ["Description"] = Description,
            ["MemorySize"] = MemorySize, ["Timeout"] = Timeout, ["EphemeralStorage"] = new JsonObject { ["Size"] = EphemeralStorage },
            ["Environment"] = new JsonObject { ["Variables"] = Environment.DeepClone() },
            ["Architectures"] = new JsonArray("x86_64"), ["CodeSha256"] = CodeSha256,
            ["State"] = State, ["LastUpdateStatus"] = LastUpdateStatus,
            ["LastModified"] = _modified.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'"),
            ["RevisionId"] = Guid.NewGuid().ToString(),
        };
        if (Reason is not null) configuration["LastUpdateStatusReason"] = Reason;
        if (ReasonCode is not null) configuration["LastUpdateStatusReasonCode"] = ReasonCode;
        return configuration;
    }
}
