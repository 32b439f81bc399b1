using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;
using static Quetzal.Sdk.Tests.Infrastructure.Models;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Large networks are validated in a worker process: its answer must be the in-process one, to the character.</summary>
public sealed class NetworkCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new("check");

    public void Dispose() => _dir.Dispose();

    private static (List<string> Diagnostics, bool InWorker) Check(string nodes, string? links, long threshold, bool isPt = false, CancellationToken cancellation = default)
    {
        var bag = new DiagnosticBag();
        NetworkCheck.Validate(nodes, links, isPt, bag, threshold, cancellation, out var inWorker);
        return (bag.Items.Select(d => $"{d.Severity} {d.Code} {d.File}({d.Line},{d.Column}): {d.Message}").ToList(), inWorker);
    }

    [Theory]
    [InlineData("valid")]
    [InlineData("offenders")]
    [InlineData("not JSON")]
    [InlineData("no links")]
    public void The_worker_gives_the_in_process_answer(string what)
    {
        var nodes = _dir.Write("nodes.geojson", Collection(Node("n1"), Node("n2"), Node("n2"), Node("é \\\"quoted\\\"")));
        var links = what switch
        {
            "valid" => _dir.Write("links.geojson", Collection(RoadLink("l1", "n1", "n2"))),
            "offenders" => _dir.Write("links.geojson", Collection(RoadLink("l1", "n1", "ghost"), RoadLink("l1", "n1", "n2", extra: ""))),
            "not JSON" => _dir.Write("links.geojson", "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":NaN}]}"),
            _ => null,
        };
        var (inProcess, inWorkerThere) = Check(nodes, links, long.MaxValue);
        var (worker, inWorker) = Check(nodes, links, 0);

        Assert.False(inWorkerThere);
        Assert.True(inWorker, "the worker did not run");
        Assert.Equal(inProcess, worker);
        Assert.True(worker.Any(d => d.Contains("QTZ1208")), string.Join("\n", worker)); // the duplicate node: the answer is not empty
    }

    [Fact]
    public void Cancelling_stops_the_worker()
    {
        var nodes = _dir.Write("nodes.geojson", Collection(Node("n1")));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Check(nodes, null, 0, cancellation: cancelled.Token));
    }
}
