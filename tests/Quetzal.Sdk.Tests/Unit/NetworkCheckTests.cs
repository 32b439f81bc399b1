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
    [InlineData("pt")]
    public void The_worker_gives_the_in_process_answer(string what)
    {
        var nodes = _dir.Write("nodes.geojson", Collection(Node("n1"), Node("n2"), Node("n2"), Node("é \\\"quoted\\\"")));
        var links = what switch
        {
            "valid" => _dir.Write("links.geojson", Collection(RoadLink("l1", "n1", "n2"))),
            "offenders" => _dir.Write("links.geojson", Collection(RoadLink("l1", "n1", "ghost"), RoadLink("l1", "n1", "n2", extra: ""))),
            "not JSON" => _dir.Write("links.geojson", "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":NaN}]}"),
            "pt" => _dir.Write("links.geojson", Collection(RoadLink("l1", "n1", "n2"))), // a road link read as pt: no trip_id
            _ => null,
        };
        var (inProcess, inWorkerThere) = Check(nodes, links, long.MaxValue, isPt: what == "pt");
        var (worker, inWorker) = Check(nodes, links, 0, isPt: what == "pt");

        Assert.False(inWorkerThere);
        Assert.True(inWorker, "the worker did not run");
        Assert.Equal(inProcess, worker);
        Assert.True(worker.Any(d => d.Contains("QTZ1208")), string.Join("\n", worker)); // the duplicate node: the answer is not empty
        Assert.Equal(what == "pt", worker.Any(d => d.Contains("QTZ1211")));
    }

    [Theory]
    [InlineData("--links", "links.geojson")]
    [InlineData("--nodes")]
    [InlineData("--nodes", "nodes.geojson", "--extra")]
    public void The_worker_refuses_arguments_it_does_not_know_and_says_its_usage(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, NetworkCheck.Worker(args, output, error));
        Assert.Empty(output.ToString());
        Assert.Contains("--nodes FILE", error.ToString());
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
