using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Container;

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

    /// <summary>The manifest a tag or digest names, with its bytes, or null when the registry does not have it.</summary>
    Task<RegistryClient.ManifestContent?> GetManifestAsync(string repository, string reference, CancellationToken cancellation);

    /// <summary>A blob's bytes (an image's config: small).</summary>
    Task<byte[]> GetBlobAsync(string repository, string digest, CancellationToken cancellation);

    /// <summary>Uploads a blob under its digest (the registry checks the digest against the bytes).</summary>
    Task PutBlobAsync(string repository, string digest, ReadOnlyMemory<byte> content, CancellationToken cancellation);

    /// <summary>Puts a manifest under a tag; returns the digest the registry gives it.</summary>
    Task<string> PutManifestAsync(string repository, string tag, byte[] manifest, string mediaType, CancellationToken cancellation);
}

/// <summary>
/// The registry's own HTTP API (the Docker Registry HTTP API V2, which ECR speaks): which digest a tag names, tagging
/// a digest, and the few reads and writes that add a layer to an image without a Docker engine (<see cref="ImageAppend"/>).
/// </summary>
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

    public sealed record ManifestContent(string Digest, string MediaType, byte[] Bytes)
    {
        public Manifest Manifest => new(Digest, MediaType);
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
        ManifestContent? manifest;
        try
        {
            manifest = await GetManifestAsync(repository, digest, cancellation);
        }
        catch (RegistryException e)
        {
            return (false, $"reading {digest}: {e.Status}");
        }
        if (manifest is null) return (false, $"reading {digest}: 404 Not Found");
        try
        {
            await PutManifestAsync(repository, tag, manifest.Bytes, manifest.MediaType is { Length: > 0 } type ? type : ManifestTypes[0], cancellation);
            return (true, "");
        }
        catch (RegistryException e)
        {
            return (false, $"{e.Status}: {e.Answer}");
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text.Trim() : text[..300].Trim() + "...";

    private HttpRequestMessage Request(HttpMethod method, string repository, string reference)
    {
        var request = Authorized(method, new Uri(credentials.Endpoint, $"/v2/{repository}/manifests/{reference}"));
        foreach (var type in ManifestTypes) request.Headers.Accept.ParseAdd(type);
        return request;
    }

    /// <summary>A request with the registry's login, which only goes to the registry itself (a blob read may be redirected to storage: the redirect carries no login).</summary>
    private HttpRequestMessage Authorized(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        if (string.Equals(uri.Authority, credentials.Endpoint.Authority, StringComparison.OrdinalIgnoreCase))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}")));
        return request;
    }

    public async Task<ManifestContent?> GetManifestAsync(string repository, string reference, CancellationToken cancellation)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Get, repository, reference), cancellation);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureAsync(response, $"GET {repository}:{reference}", cancellation);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellation);
        var digest = ImageAppend.Digest(bytes);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.First() != digest && reference.StartsWith("sha256:", StringComparison.Ordinal))
            throw new RegistryException(credentials.Registry, $"GET {repository}:{reference}", "a manifest whose bytes do not match its digest", "");
        return new ManifestContent(digest, response.Content.Headers.ContentType?.MediaType ?? "", bytes);
    }

    public async Task<byte[]> GetBlobAsync(string repository, string digest, CancellationToken cancellation)
    {
        using var response = await SendAsync(() => Authorized(HttpMethod.Get, new Uri(credentials.Endpoint, $"/v2/{repository}/blobs/{digest}")), cancellation);
        await EnsureAsync(response, $"GET {repository} blob {digest}", cancellation);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellation);
        if (ImageAppend.Digest(bytes) != digest)
            throw new RegistryException(credentials.Registry, $"GET {repository} blob {digest}", "a blob whose bytes do not match its digest", "");
        return bytes;
    }

    /// <summary>
    /// A monolithic upload: POST opens it, one PUT sends the bytes with their digest. Every registry of the Docker and
    /// OCI specifications takes it, ECR included (ECR's chunked PATCH answers 201 and drops later chunks).
    /// </summary>
    public async Task PutBlobAsync(string repository, string digest, ReadOnlyMemory<byte> content, CancellationToken cancellation)
    {
        var operation = $"upload of {digest} to {repository}";
        using var response = await SendAsync(() =>
        {
            // Each attempt opens its own upload: a location is good for one upload only.
            var open = Authorized(HttpMethod.Post, new Uri(credentials.Endpoint, $"/v2/{repository}/blobs/uploads/"));
            open.Content = new ByteArrayContent([]);
            return open;
        }, cancellation, async (opened, token) =>
        {
            await EnsureAsync(opened, operation, token);
            var location = opened.Headers.Location ?? throw new RegistryException(credentials.Registry, operation, "no upload location", "");
            var target = location.IsAbsoluteUri ? location : new Uri(credentials.Endpoint, location);
            var put = new UriBuilder(target);
            put.Query = (put.Query.TrimStart('?') is { Length: > 0 } query ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
            var request = Authorized(HttpMethod.Put, put.Uri);
            request.Content = new ReadOnlyMemoryContent(content);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return request;
        });
        await EnsureAsync(response, operation, cancellation);
    }

    public async Task<string> PutManifestAsync(string repository, string tag, byte[] manifest, string mediaType, CancellationToken cancellation)
    {
        using var response = await SendAsync(() =>
        {
            var request = Authorized(HttpMethod.Put, new Uri(credentials.Endpoint, $"/v2/{repository}/manifests/{tag}"));
            request.Content = new ByteArrayContent(manifest);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, cancellation);
        await EnsureAsync(response, $"PUT {repository}:{tag}", cancellation);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : ImageAppend.Digest(manifest);
    }

    private async Task EnsureAsync(HttpResponseMessage response, string operation, CancellationToken cancellation)
    {
        if (response.IsSuccessStatusCode) return;
        var answer = Truncate(await response.Content.ReadAsStringAsync(cancellation));
        throw new RegistryException(credentials.Registry, operation, $"{(int)response.StatusCode} {response.ReasonPhrase}", answer);
    }

    /// <summary>
    /// Sends a request made afresh for each attempt; 5xx answers and dropped connections are tried up to 4 times.
    /// With <paramref name="then"/>, a second request made from the first's answer is part of the attempt (an upload's
    /// POST and PUT are tried again together).
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellation,
        Func<HttpResponseMessage, CancellationToken, Task<HttpRequestMessage>>? then = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            try
            {
                var response = await _http.SendAsync(request, cancellation);
                if (then is not null && response.IsSuccessStatusCode)
                {
                    using var first = response;
                    using var next = await then(first, cancellation);
                    response = await _http.SendAsync(next, cancellation);
                }
                if ((int)response.StatusCode < 500 || attempt >= 4) return response;
                response.Dispose();
            }
            catch (HttpRequestException) when (attempt < 4)
            {
            }
            catch (HttpRequestException e)
            {
                e.Data[Diagnostics.ServiceFailures.TargetKey] = $"the registry {credentials.Registry}";
                throw;
            }
            await Task.Delay(300 * attempt, cancellation);
        }
    }

    public void Dispose() => _http.Dispose();
}
