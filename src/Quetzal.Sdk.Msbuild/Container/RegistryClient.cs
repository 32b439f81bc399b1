using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Container;

/// <summary>Reads from the registry (the Docker Registry HTTP API that ECR speaks): which digest a tag names.</summary>
public sealed class RegistryClient(RegistryCredentials credentials, HttpMessageHandler? handler = null) : IDisposable
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
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(credentials.Endpoint, $"/v2/{repository}/manifests/{reference}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}")));
            foreach (var type in ManifestTypes) request.Headers.Accept.ParseAdd(type);
            try
            {
                using var response = await _http.SendAsync(request, cancellation);
                if (response.StatusCode == HttpStatusCode.NotFound) return null;
                if ((int)response.StatusCode >= 500 && attempt < 4) { await Task.Delay(300 * attempt, cancellation); continue; }
                response.EnsureSuccessStatusCode();
                var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
                return digest is null ? null : new Manifest(digest, response.Content.Headers.ContentType?.MediaType ?? "");
            }
            catch (HttpRequestException) when (attempt < 4)
            {
                await Task.Delay(300 * attempt, cancellation);
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
