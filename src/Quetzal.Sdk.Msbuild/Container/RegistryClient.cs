using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Container;

/// <summary>The registry's own HTTP API (the Docker Registry API that ECR speaks): which digest a tag names, and tagging a digest.</summary>
/// <summary>An error the registry answered (after retries); <see cref="Diagnostics.Failures"/> says it as QTZ3007.</summary>
public sealed class RegistryException(string registry, string operation, string status, string answer)
    : Exception($"{registry} answered {status} to {operation}")
{
    public string Registry { get; } = registry;
    public string Operation { get; } = operation;
    public string Status { get; } = status;
    public string Answer { get; } = answer;
}

/// <summary>The registry as a publish uses it (see <see cref="RegistryClient"/>).</summary>
public interface IImageRegistry : IDisposable
{
    Task<RegistryClient.Manifest?> HeadManifestAsync(string repository, string reference, CancellationToken cancellation);
    Task<(bool Tagged, string Refusal)> TagAsync(string repository, string digest, string tag, CancellationToken cancellation);
}

public sealed class RegistryClient(RegistryCredentials credentials, HttpMessageHandler? handler = null) : IImageRegistry
{
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json",
    ];

    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler()) { Timeout = TimeSpan.FromSeconds(60) };

    public sealed record Manifest(string Digest, string MediaType)
    {
        public bool IsIndex => MediaType.Contains("index", StringComparison.Ordinal) || MediaType.Contains("manifest.list", StringComparison.Ordinal);
    }

    /// <summary>The manifest a tag or digest names, or null when the registry does not have it.</summary>
    public async Task<Manifest?> HeadManifestAsync(string repository, string reference, CancellationToken cancellation)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Head, repository, reference), cancellation);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode)
            throw new RegistryException(credentials.Registry, $"HEAD {repository}:{reference}", $"{(int)response.StatusCode} {response.ReasonPhrase}", "");
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
        return digest is null ? null : new Manifest(digest, response.Content.Headers.ContentType?.MediaType ?? "");
    }

    /// <summary>
    /// Makes <paramref name="tag"/> name the manifest <paramref name="digest"/> names, as `crane tag` does: its bytes
    /// are put again under the tag. No layer moves and no Docker engine is needed, so it works from any machine.
    /// Returns false when the registry refuses (the reason in <paramref name="refusal"/>).
    /// </summary>
    public async Task<(bool Tagged, string Refusal)> TagAsync(string repository, string digest, string tag, CancellationToken cancellation)
    {
        using var read = await SendAsync(() => Request(HttpMethod.Get, repository, digest), cancellation);
        if (!read.IsSuccessStatusCode) return (false, $"reading {digest}: {(int)read.StatusCode} {read.ReasonPhrase}");
        var bytes = await read.Content.ReadAsByteArrayAsync(cancellation);
        var mediaType = read.Content.Headers.ContentType?.MediaType ?? ManifestTypes[0];
        using var write = await SendAsync(() =>
        {
            var request = Request(HttpMethod.Put, repository, tag);
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, cancellation);
        if (!write.IsSuccessStatusCode)
            return (false, $"{(int)write.StatusCode} {write.ReasonPhrase}: {Truncate(await write.Content.ReadAsStringAsync(cancellation))}");
        return (true, "");
    }

    private static string Truncate(string text) => text.Length <= 300 ? text.Trim() : text[..300].Trim() + "...";

    private HttpRequestMessage Request(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, new Uri(credentials.Endpoint, $"/v2/{repository}/manifests/{reference}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}")));
        foreach (var type in ManifestTypes) request.Headers.Accept.ParseAdd(type);
        return request;
    }

    /// <summary>Sends a request made afresh for each attempt; 5xx answers and dropped connections are tried up to 4 times.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            try
            {
                var response = await _http.SendAsync(request, cancellation);
                if ((int)response.StatusCode < 500 || attempt >= 4) return response;
                response.Dispose();
            }
            catch (HttpRequestException) when (attempt < 4)
            {
            }
            catch (HttpRequestException e)
            {
                e.Data[Diagnostics.Failures.TargetKey] = $"the registry {credentials.Registry}";
                throw;
            }
            await Task.Delay(300 * attempt, cancellation);
        }
    }

    public void Dispose() => _http.Dispose();
}
