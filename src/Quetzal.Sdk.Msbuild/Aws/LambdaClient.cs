using System.Text.Json.Nodes;

namespace Quetzal.Sdk.Aws;

/// <summary>What the SDK sets on the model's function.</summary>
public sealed record FunctionSettings(int MemorySize, int Timeout, int EphemeralStorage, string Role, IReadOnlyDictionary<string, string> Environment);

/// <summary>A function as Lambda describes it: its settings, and its two status fields (State; LastUpdateStatus) with their reasons.</summary>
public sealed record FunctionState(
    string Name, string Arn, string? ImageUri, string? ResolvedImageUri, FunctionSettings Settings,
    string State, string LastUpdateStatus, string? LastUpdateStatusReason,
    string? LastUpdateStatusReasonCode = null, string? StateReason = null, string? StateReasonCode = null);

/// <summary>A published version of a function (ListVersionsByFunction, PublishVersion): its number, qualified ARN, code (the image digest's hex) and settings.</summary>
public sealed record FunctionVersion(string Version, string Arn, string CodeSha256, string Description, FunctionSettings Settings);

/// <summary>The Lambda operations the SDK calls, named as in the official AWSSDK.Lambda client.</summary>
public interface IAmazonLambda
{
    /// <summary>PublishVersion of $LATEST (Lambda returns the last version when nothing changed since it); refused when $LATEST's code is no longer <paramref name="codeSha256"/>.</summary>
    Task<FunctionVersion> PublishVersionAsync(string name, string? codeSha256, string description, CancellationToken cancellation);
    /// <summary>Every published version (all pages), oldest first, without $LATEST.</summary>
    Task<IReadOnlyList<FunctionVersion>> ListVersionsByFunctionAsync(string name, CancellationToken cancellation);
    /// <summary>GetFunction of a version (Qualifier); null when it does not exist.</summary>
    Task<FunctionState?> GetFunctionVersionAsync(string name, string version, CancellationToken cancellation);
    /// <summary>DeleteFunction of one version (Qualifier); false when there was none.</summary>
    Task<bool> DeleteFunctionVersionAsync(string name, string version, CancellationToken cancellation);
    Task<FunctionState?> GetFunctionAsync(string name, CancellationToken cancellation);
    Task<FunctionState> GetFunctionConfigurationAsync(string name, CancellationToken cancellation);
    Task CreateFunctionAsync(string name, string imageUri, FunctionSettings settings, CancellationToken cancellation);
    Task UpdateFunctionCodeAsync(string name, string imageUri, CancellationToken cancellation);
    Task UpdateFunctionConfigurationAsync(string name, FunctionSettings settings, CancellationToken cancellation);
    Task<bool> DeleteFunctionAsync(string name, CancellationToken cancellation);
}

public sealed class LambdaClient(AwsSettings settings, HttpMessageHandler? handler = null) : IAmazonLambda, IDisposable
{
    private const string Functions = "/2015-03-31/functions";
    private readonly AwsHttpClient _http = new(settings, AwsService.Lambda, handler);

    public async Task<FunctionState?> GetFunctionAsync(string name, CancellationToken cancellation)
    {
        var result = await _http.RestAsync("GetFunction", HttpMethod.Get, $"{Functions}/{Uri.EscapeDataString(name)}", null, cancellation, notFoundIsNull: true);
        return result is null ? null : Parse(result["Configuration"]!.AsObject(), result["Code"] as JsonObject);
    }

    public async Task<FunctionState> GetFunctionConfigurationAsync(string name, CancellationToken cancellation)
        => Parse((await _http.RestAsync("GetFunctionConfiguration", HttpMethod.Get, $"{Functions}/{Uri.EscapeDataString(name)}/configuration", null, cancellation))!, null);

    public Task CreateFunctionAsync(string name, string imageUri, FunctionSettings settings, CancellationToken cancellation)
    {
        var input = Settings(settings);
        input["FunctionName"] = name;
        input["PackageType"] = "Image";
        input["Code"] = new JsonObject { ["ImageUri"] = imageUri };
        input["Architectures"] = new JsonArray("x86_64");
        return _http.RestAsync("CreateFunction", HttpMethod.Post, Functions, input, cancellation);
    }

    public Task UpdateFunctionCodeAsync(string name, string imageUri, CancellationToken cancellation)
        => _http.RestAsync("UpdateFunctionCode", HttpMethod.Put, $"{Functions}/{Uri.EscapeDataString(name)}/code", new JsonObject { ["ImageUri"] = imageUri }, cancellation);

    public Task UpdateFunctionConfigurationAsync(string name, FunctionSettings settings, CancellationToken cancellation)
        => _http.RestAsync("UpdateFunctionConfiguration", HttpMethod.Put, $"{Functions}/{Uri.EscapeDataString(name)}/configuration", Settings(settings), cancellation);

    public async Task<FunctionVersion> PublishVersionAsync(string name, string? codeSha256, string description, CancellationToken cancellation)
    {
        var input = new JsonObject { ["Description"] = description };
        if (codeSha256 is not null) input["CodeSha256"] = codeSha256;
        return Version((await _http.RestAsync("PublishVersion", HttpMethod.Post, $"{Functions}/{Uri.EscapeDataString(name)}/versions", input, cancellation))!);
    }

    public async Task<IReadOnlyList<FunctionVersion>> ListVersionsByFunctionAsync(string name, CancellationToken cancellation)
    {
        var versions = new List<FunctionVersion>();
        string? marker = null;
        do
        {
            var page = await _http.RestAsync("ListVersionsByFunction", HttpMethod.Get,
                $"{Functions}/{Uri.EscapeDataString(name)}/versions?MaxItems=50{(marker is null ? "" : "&Marker=" + Uri.EscapeDataString(marker))}", null, cancellation);
            versions.AddRange((page!["Versions"] as JsonArray ?? []).OfType<JsonObject>().Where(v => (string?)v["Version"] != "$LATEST").Select(Version));
            marker = (string?)page["NextMarker"];
        }
        while (marker is not null);
        return versions.OrderBy(v => int.TryParse(v.Version, out var n) ? n : 0).ToList();
    }

    public async Task<FunctionState?> GetFunctionVersionAsync(string name, string version, CancellationToken cancellation)
    {
        var result = await _http.RestAsync("GetFunction", HttpMethod.Get, $"{Functions}/{Uri.EscapeDataString(name)}?Qualifier={Uri.EscapeDataString(version)}", null, cancellation, notFoundIsNull: true);
        return result is null ? null : Parse(result["Configuration"]!.AsObject(), result["Code"] as JsonObject);
    }

    public async Task<bool> DeleteFunctionVersionAsync(string name, string version, CancellationToken cancellation)
        => await _http.RestAsync("DeleteFunction", HttpMethod.Delete, $"{Functions}/{Uri.EscapeDataString(name)}?Qualifier={Uri.EscapeDataString(version)}", null, cancellation, notFoundIsNull: true) is not null;

    private static FunctionVersion Version(JsonObject configuration)
    {
        var parsed = Parse(configuration, null);
        return new FunctionVersion((string?)configuration["Version"] ?? "$LATEST", parsed.Arn, (string?)configuration["CodeSha256"] ?? "", (string?)configuration["Description"] ?? "", parsed.Settings);
    }

    /// <summary>Deletes the function; false when there was none.</summary>
    public async Task<bool> DeleteFunctionAsync(string name, CancellationToken cancellation)
        => await _http.RestAsync("DeleteFunction", HttpMethod.Delete, $"{Functions}/{Uri.EscapeDataString(name)}", null, cancellation, notFoundIsNull: true) is not null;

    private static JsonObject Settings(FunctionSettings settings) => new()
    {
        ["Role"] = settings.Role,
        ["MemorySize"] = settings.MemorySize,
        ["Timeout"] = settings.Timeout,
        ["EphemeralStorage"] = new JsonObject { ["Size"] = settings.EphemeralStorage },
        ["Environment"] = new JsonObject { ["Variables"] = new JsonObject(settings.Environment.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))) },
    };

    private static FunctionState Parse(JsonObject configuration, JsonObject? code)
    {
        var variables = configuration["Environment"]?["Variables"] as JsonObject;
        return new FunctionState(
            (string)configuration["FunctionName"]!, (string)configuration["FunctionArn"]!,
            (string?)code?["ImageUri"], (string?)code?["ResolvedImageUri"],
            new FunctionSettings(
                (int?)configuration["MemorySize"] ?? 0, (int?)configuration["Timeout"] ?? 0, (int?)configuration["EphemeralStorage"]?["Size"] ?? 512,
                (string?)configuration["Role"] ?? "",
                variables?.ToDictionary(p => p.Key, p => (string?)p.Value ?? "") ?? new Dictionary<string, string>()),
            (string?)configuration["State"] ?? "Active", (string?)configuration["LastUpdateStatus"] ?? "Successful", (string?)configuration["LastUpdateStatusReason"],
            (string?)configuration["LastUpdateStatusReasonCode"], (string?)configuration["StateReason"], (string?)configuration["StateReasonCode"]);
    }

    public void Dispose() => _http.Dispose();
}
