using System.Net;
using System.Net.Sockets;

namespace Quetzal.Sdk.Workflow;

/// <summary>The Lambda runtime interface emulator of a container started from a Lambda base image: its port, and when it answers.</summary>
public static class RuntimeEmulator
{
    /// <summary>The emulator's invocation path (POST the event there).</summary>
    public const string InvocationsPath = "/2015-03-31/functions/function/invocations";

    /// <summary>A free loopback port, to publish the container's 8080 on.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Docker's port proxy accepts connections before the container listens: ready is when HTTP answers (within 30 s).</summary>
    public static async Task WaitAsync(HttpClient http, Uri endpoint, Func<string, Exception> notReady, CancellationToken cancellation)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var probe = await http.GetAsync(endpoint, cancellation);
                return;
            }
            catch (HttpRequestException) { await Task.Delay(100, cancellation); }
        }
        throw notReady("did not answer within 30 s");
    }
}
