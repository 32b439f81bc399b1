using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Workflow;

/// <summary>Docker mode: not built yet (issue 4); says so with its code rather than pretending.</summary>
public sealed class DockerInvoker(LocalRunOptions options, string bucketDirectory, Action<string> output) : ITaskInvoker
{
    public Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
    {
        _ = (options, bucketDirectory, output);
        throw new StateError("Quetzal.Unsupported", "--mode docker (not available yet: use --mode python)");
    }
}
