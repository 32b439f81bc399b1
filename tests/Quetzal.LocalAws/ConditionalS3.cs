using System.Collections.Concurrent;
using System.Net;

namespace Quetzal.LocalAws;

/// <summary>
/// S3's conditional writes (PUT with If-Match or If-None-Match: *) in front of s3rver, which ignores them.
/// Every request is forwarded unchanged (the Host header too, so SigV4 signatures stay valid); a conditional PUT
/// checks the object's current ETag and writes under one lock per key, so that check and write are atomic,
/// and answers 412 PreconditionFailed as S3 does when the condition does not hold. Reads of a key wait for a
/// conditional write to it in progress: s3rver writes an object and its ETag in two steps, and S3 never shows
/// a half-written object.
/// </summary>
public sealed class ConditionalS3(Uri upstream, Action<string> count)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Host", "Content-Length" };
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromMinutes(10) };
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public async Task ForwardAsync(HttpContext http, byte[] body)
    {
        var request = http.Request;
        var path = request.Path.ToUriComponent();
        if (request.Method == "DELETE" && request.Query.ContainsKey("uploadId")) count("S3.AbortMultipartUpload");
        if (request.Method == "POST" && request.Query.ContainsKey("uploads")) count("S3.CreateMultipartUpload");
        var ifMatch = request.Headers.IfMatch.ToString();
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        var conditional = request.Method == "PUT" && (ifMatch.Length > 0 || ifNoneMatch.Length > 0) && !request.Query.ContainsKey("uploadId");
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        if (!conditional)
        {
            var read = request.Method is "GET" or "HEAD";
            if (read) await gate.WaitAsync();
            try { await SendAsync(http, body); }
            finally { if (read) gate.Release(); }
            return;
        }

        await gate.WaitAsync();
        try
        {
            using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(upstream, path)));
            var exists = head.StatusCode == HttpStatusCode.OK;
            var etag = head.Headers.ETag?.Tag;
            var holds = ifNoneMatch == "*" ? !exists : exists && string.Equals(etag?.Trim('"'), ifMatch.Trim('"'), StringComparison.Ordinal);
            if (!holds)
            {
                http.Response.StatusCode = 412;
                http.Response.ContentType = "application/xml";
                await http.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed</Code>"
                    + "<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>" + (ifNoneMatch == "*" ? "If-None-Match" : "If-Match") + "</Condition></Error>");
                return;
            }
            await SendAsync(http, body);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SendAsync(HttpContext http, byte[] body)
    {
        var request = http.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream, request.Path.ToUriComponent() + request.QueryString.Value));
        forward.Headers.Host = request.Host.Value;
        if (body.Length > 0 || request.Method is "PUT" or "POST") forward.Content = new ByteArrayContent(body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray())) forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        using var response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (!HopByHop.Contains(name)) http.Response.Headers[name] = values.ToArray();
        // A HEAD answer has no body, but says the object's size (clients read it: boto3's download sizes its parts by it).
        if (request.Method == "HEAD" && response.Content.Headers.ContentLength is { } length) http.Response.ContentLength = length;
        else await response.Content.CopyToAsync(http.Response.Body);
    }
}
