using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Quetzal.LocalAws;

/// <summary>The stack's registry as ECR's and Lambda's control planes see it (they read it directly, never through a test's proxy).</summary>
internal sealed class Registry
{
    private readonly HttpClient _http = new();
    private readonly Settings _settings;

    public Registry(Settings settings)
    {
        _settings = settings;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"AWS:{settings.RegistryToken}")));
    }

    public JsonNode? Json(string path)
    {
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{_settings.Registry}{path}"));
        return response.IsSuccessStatusCode ? JsonNode.Parse(response.Content.ReadAsStream()) : null;
    }

    /// <summary>The digest a tag names, or null.</summary>
    public string? Digest(string repository, string tag)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, $"http://{_settings.Registry}/v2/{repository}/manifests/{tag}");
        head.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var answer = _http.Send(head);
        return answer.IsSuccessStatusCode ? answer.Headers.GetValues("Docker-Content-Digest").Single() : null;
    }

    /// <summary>Deletes a manifest; true when it is gone (deleted now, or already).</summary>
    public bool Delete(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"http://{_settings.Registry}/v2/{repository}/manifests/{digest}");
        using var answer = _http.Send(request);
        return answer.IsSuccessStatusCode || answer.StatusCode == System.Net.HttpStatusCode.NotFound;
    }

    /// <summary>Lambda, like AWS, resolves an image URI (tag or digest) in the registry and refuses one it cannot find or that is an index.</summary>
    public async Task<string> ResolveAsync(string imageUri)
    {
        var slash = imageUri.IndexOf('/');
        var at = imageUri.IndexOf('@');
        var colon = imageUri.LastIndexOf(':');
        var (repository, reference) = at > 0 ? (imageUri[(slash + 1)..at], imageUri[(at + 1)..]) : (imageUri[(slash + 1)..colon], imageUri[(colon + 1)..]);
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{imageUri[..slash]}/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await _http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new AwsError(400, "InvalidParameterValueException", $"Source image {imageUri} does not exist. Provide a valid source image.");
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("manifest.list", StringComparison.Ordinal))
            throw new AwsError(400, "InvalidParameterValueException", $"The image manifest, config or layer media type for the source image {imageUri} is not supported.");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
