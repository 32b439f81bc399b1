using System.Net;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>The fault proxy injects what it says it does (HttpListener, its first implementation, answered a "reset" with an empty 200).</summary>
public sealed class FaultProxyTests
{
    [Fact]
    public async Task A_reset_gives_the_client_no_answer_at_all()
    {
        using var proxy = new FaultProxy("http://127.0.0.1:9");
        proxy.Add(new(_ => true, new FaultProxy.Reset()));
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"{proxy.Url}/x", new StringContent(new string('x', 100_000))));
        Assert.Equal("reset POST /x", Assert.Single(proxy.Faults));
    }

    [Fact]
    public async Task An_empty_ok_and_a_status_are_answered_as_such()
    {
        using var proxy = new FaultProxy("http://127.0.0.1:9");
        proxy.Add(new(r => r.Url.AbsolutePath == "/empty", new FaultProxy.EmptyOk()));
        proxy.Add(new(_ => true, new FaultProxy.Status(503, "SlowDown"), Times: 1));
        using var http = new HttpClient();
        using var empty = await http.GetAsync($"{proxy.Url}/empty");
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        Assert.Equal("", await empty.Content.ReadAsStringAsync());
        using var status = await http.GetAsync($"{proxy.Url}/bucket/key");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
        Assert.Contains("<Code>SlowDown</Code>", await status.Content.ReadAsStringAsync());
    }
}
