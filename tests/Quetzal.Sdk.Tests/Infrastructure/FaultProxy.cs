using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>
/// A loopback proxy between the SDK (or the Docker engine) and a server of the local stack that injects faults at
/// chosen requests: an HTTP status (500, 503, 429 with AWS's error body), a reset connection (the socket is aborted,
/// no answer at all), an empty 200 (what a proxy that fails half-way hands over), or a stall. Other requests are
/// forwarded unchanged, the Host header included, so that SigV4 signatures still verify at the server.
/// Kestrel, not HttpListener: HttpListener's Abort answers an empty 200 instead of resetting the connection.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    public abstract record Fault;
    public sealed record Status(int Code, string ErrorType) : Fault;
    public sealed record Reset : Fault;
    public sealed record EmptyOk : Fault;
    public sealed record Stall(TimeSpan Delay) : Fault;

    /// <summary>What a rule sees of a request.</summary>
    public sealed record Request(string HttpMethod, Uri Url, NameValueCollection Headers);

    /// <summary>A rule answers the requests it matches with a fault, up to <paramref name="Times"/> of them (null: always).</summary>
    public sealed record Rule(Func<Request, bool> Matches, Fault Fault, int? Times = null)
    {
        public int Used;
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect", "Proxy-Connection", "TE", "Trailer" };
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromMinutes(5) };
    private readonly Uri _upstream;
    private readonly List<Rule> _rules = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly WebApplication _app;

    public FaultProxy(string upstream)
    {
        _upstream = new Uri(upstream);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // image layers
            kestrel.Limits.MinRequestBodyDataRate = null;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
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

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = new NameValueCollection(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers) foreach (var value in values) headers.Add(name, value);
        var view = new Request(request.Method, new Uri($"http://{request.Host}{request.PathBase}{request.Path}{request.QueryString}"), headers);
        var what = $"{request.Method} {request.Path}{request.QueryString}";

        Fault? fault = null;
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if ((rule.Times is null || rule.Used < rule.Times) && rule.Matches(view))
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
                    Faults.Enqueue($"{status.Code} {what}");
                    await request.Body.CopyToAsync(Stream.Null, _stop.Token);
                    context.Response.StatusCode = status.Code;
                    context.Response.Headers["x-amzn-ErrorType"] = status.ErrorType;
                    var s3 = IsS3(view);
                    context.Response.ContentType = s3 ? "application/xml" : "application/json";
                    await context.Response.WriteAsync(s3
                        ? $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{status.ErrorType}</Code><Message>injected by the fault proxy</Message></Error>"
                        : $"{{\"__type\":\"{status.ErrorType}\",\"message\":\"injected by the fault proxy\"}}", _stop.Token);
                    return;
                case Reset:
                    // No answer: the connection is aborted, possibly while the client is still sending.
                    Faults.Enqueue($"reset {what}");
                    context.Abort();
                    return;
                case EmptyOk:
                    Faults.Enqueue($"empty 200 {what}");
                    await request.Body.CopyToAsync(Stream.Null, _stop.Token);
                    context.Response.StatusCode = 200;
                    context.Response.ContentLength = 0;
                    return;
                case Stall stall:
                    Faults.Enqueue($"stall {what}");
                    await Task.Delay(stall.Delay, CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.RequestAborted).Token);
                    break;
            }
            await ForwardAsync(context);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException or BadHttpRequestException)
        {
            context.Abort();
        }
    }

    private static bool IsS3(Request request) => request.Headers["X-Amz-Target"] is null && !request.Url.AbsolutePath.StartsWith("/2015-03-31/", StringComparison.Ordinal) && !request.Url.AbsolutePath.StartsWith("/v2/", StringComparison.Ordinal);

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, _stop.Token);
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_upstream, $"{request.PathBase}{request.Path}{request.QueryString}"));
        forward.Headers.Host = request.Host.Value;
        // A signed Content-Length (0 on a GET) must reach the server as it was signed.
        if (body.Length > 0 || request.ContentLength is not null || request.Method is "PUT" or "POST" or "PATCH")
            forward.Content = new ByteArrayContent(body.ToArray());
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        using var response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (!HopByHop.Contains(name)) context.Response.Headers[name] = values.ToArray();
        if (response.Content.Headers.ContentLength is { } length) context.Response.ContentLength = length;
        if (request.Method == "HEAD") return;
        await response.Content.CopyToAsync(context.Response.Body, _stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        using (var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(2))) _app.StopAsync(shutdown.Token).GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        _http.Dispose();
        _stop.Dispose();
    }
}
