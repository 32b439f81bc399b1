using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>
/// A loopback proxy between the SDK and a server of the local stack that injects faults at chosen requests:
/// an HTTP status (500, 503, 429 with AWS's error body), a reset connection, or a stall. Other requests are forwarded
/// unchanged, the Host header included, so that SigV4 signatures still verify at the server.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    public abstract record Fault;
    public sealed record Status(int Code, string ErrorType) : Fault;
    public sealed record Reset : Fault;
    public sealed record Stall(TimeSpan Delay) : Fault;

    /// <summary>A rule answers the requests it matches with a fault, up to <paramref name="Times"/> of them (null: always).</summary>
    public sealed record Rule(Func<HttpListenerRequest, bool> Matches, Fault Fault, int? Times = null)
    {
        public int Used;
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect" };
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromMinutes(5) };
    private readonly Uri _upstream;
    private readonly List<Rule> _rules = new();
    private readonly CancellationTokenSource _stop = new();

    public FaultProxy(string upstream)
    {
        _upstream = new Uri(upstream);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public ConcurrentQueue<string> Faults { get; } = new();

    public FaultProxy Add(Rule rule)
    {
        lock (_rules) _rules.Add(rule);
        return this;
    }

    public void Clear()
    {
        lock (_rules) _rules.Clear();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        Fault? fault = null;
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if ((rule.Times is null || rule.Used < rule.Times) && rule.Matches(request))
                {
                    rule.Used++;
                    fault = rule.Fault;
                    break;
                }
            }
        }
        try
        {
            switch (fault)
            {
                case Status status:
                    Faults.Enqueue($"{status.Code} {request.HttpMethod} {request.Url!.PathAndQuery}");
                    await Drain(request);
                    context.Response.StatusCode = status.Code;
                    context.Response.ContentType = "application/json";
                    context.Response.Headers["x-amzn-ErrorType"] = status.ErrorType;
                    var body = System.Text.Encoding.UTF8.GetBytes($"{{\"__type\":\"{status.ErrorType}\",\"message\":\"injected by the fault proxy\"}}");
                    if (IsS3(request))
                    {
                        context.Response.ContentType = "application/xml";
                        body = System.Text.Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{status.ErrorType}</Code><Message>injected by the fault proxy</Message></Error>");
                    }
                    await context.Response.OutputStream.WriteAsync(body);
                    context.Response.Close();
                    return;
                case Reset:
                    Faults.Enqueue($"reset {request.HttpMethod} {request.Url!.PathAndQuery}");
                    context.Response.Abort();
                    return;
                case Stall stall:
                    Faults.Enqueue($"stall {request.HttpMethod} {request.Url!.PathAndQuery}");
                    await Task.Delay(stall.Delay);
                    break;
            }
            await ForwardAsync(context);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException)
        {
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private static bool IsS3(HttpListenerRequest request) => request.Headers["X-Amz-Target"] is null && !request.Url!.AbsolutePath.StartsWith("/2015-03-31/", StringComparison.Ordinal);

    private static async Task Drain(HttpListenerRequest request)
    {
        if (request.HasEntityBody) await request.InputStream.CopyToAsync(Stream.Null);
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        if (request.HasEntityBody) await request.InputStream.CopyToAsync(body);
        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_upstream, request.Url!.PathAndQuery));
        forward.Headers.Host = request.Headers["Host"];
        // A signed Content-Length (0 on a GET) must reach the server as it was signed.
        if (request.HasEntityBody || request.Headers["Content-Length"] is not null || request.HttpMethod is "PUT" or "POST")
            forward.Content = new ByteArrayContent(body.ToArray());
        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            if (HopByHop.Contains(name)) continue;
            var values = request.Headers.GetValues(name) ?? [];
            if (!forward.Headers.TryAddWithoutValidation(name, values)) forward.Content?.Headers.TryAddWithoutValidation(name, values);
        }
        using var response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (!HopByHop.Contains(name)) context.Response.Headers[name] = string.Join(",", values);
        if (request.HttpMethod == "HEAD")
        {
            context.Response.ContentLength64 = response.Content.Headers.ContentLength ?? 0;
            context.Response.Close();
            return;
        }
        var bytes = await response.Content.ReadAsByteArrayAsync();
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        _http.Dispose();
    }
}
