using System.Text;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;
using static Quetzal.Sdk.Tests.Infrastructure.Models;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>
/// Large network files are read in parallel parts cut at guessed feature boundaries. Whatever the cuts, the answer
/// (every diagnostic: code, file, line, column, message, in order) must be the one of a single sequential read.
/// </summary>
public sealed class NetworkPartsTests : IDisposable
{
    private readonly TempDirectory _dir = new("parts");

    public void Dispose() => _dir.Dispose();

    private static NodeIndex Known(params string[] nodes)
    {
        var known = new NodeIndex();
        foreach (var node in nodes)
            known.Add(NodeIndex.Hash(Encoding.UTF8.GetBytes(node)));
        return known;
    }

    private static (List<string> Diagnostics, bool Readable) Validate(string path, NetworkLayer layer, int parts, NodeIndex? nodes = null, bool isPt = false)
    {
        var bag = new DiagnosticBag();
        var index = NetworkValidator.Validate(new(path, layer, isPt, nodes, "nodes.geojson"), bag, parts, default);
        return (bag.Items.Select(d => $"{d.Code} {d.File}({d.Line},{d.Column}): {d.Message}").ToList(), index is not null);
    }

    /// <summary>Asserts that 2 to 6 parts give exactly what one pass gives, and returns that.</summary>
    private static List<string> SameInParts(string path, NetworkLayer layer, NodeIndex? nodes = null, bool isPt = false)
    {
        var (expected, readable) = Validate(path, layer, 1, nodes, isPt);
        for (var parts = 2; parts <= 6; parts++)
        {
            var (actual, actualReadable) = Validate(path, layer, parts, nodes, isPt);
            Assert.True(expected.SequenceEqual(actual), $"{parts} parts:\n{string.Join("\n", actual)}\n--- one pass:\n{string.Join("\n", expected)}");
            Assert.Equal(readable, actualReadable);
        }
        return expected;
    }

    private static string Links(int count, Func<int, string?>? replace = null)
        => Collection(Enumerable.Range(1, count).Select(i => replace?.Invoke(i) ?? RoadLink($"l{i}", "n1", "n2")).ToArray());

    [Fact]
    public void Offenders_all_over_a_file_are_reported_as_one_pass_reports_them()
    {
        // Feature n is on line n + 1. Breaches in every part: duplicates across the file, a dangling node, a missing index, wrong geometry,
        // projected coordinates, a feature that is not an object, missing display attributes; lines of different lengths.
        var path = _dir.Write("links.geojson", Links(300, i => i switch
        {
            3 => RoadLink("l1", "n1", "n2"),
            50 => RoadLink("l50", "n1", "ghost"),
            120 => "{\"type\":\"Feature\",\"properties\":{\"a\":\"n1\",\"b\":\"n2\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4]]}}",
            150 => "[1, 2]",
            151 => "42",
            200 => RoadLink("l3", "n1", "n2"),
            230 => RoadLink("l230", "n1", "n2", extra: ""),
            260 => "{\"type\":\"Feature\",\"properties\":{\"index\":\"l260\",\"a\":\"n1\",\"b\":\"n2\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}",
            270 => RoadLink("l270", "n1", "n2").Replace("-73.56", "650000.5"),
            299 => RoadLink("l1", "n1", "ghost2"),
            _ => null,
        }));
        var diagnostics = SameInParts(path, NetworkLayer.Links, Known("n1", "n2"));

        Assert.Contains(diagnostics, d => d.StartsWith("QTZ1208") && d.Contains("Feature 3 has index 'l1', already used by feature 1") && d.Contains("(4,1)"));
        Assert.Contains(diagnostics, d => d.Contains("Feature 299 has index 'l1', already used by feature 1"));
        Assert.Contains(diagnostics, d => d.Contains("b = 'ghost' is not a node") && d.Contains("(feature 50)"));
        Assert.Contains(diagnostics, d => d.Contains("Feature 150 is an array"));
        Assert.Contains(diagnostics, d => d.Contains("Feature 151 is not a GeoJSON Feature object") && d.Contains("(152,1)"));
    }

    [Fact]
    public void A_cut_guessed_inside_a_string_costs_time_not_correctness()
    {
        // Every feature carries a string that looks like a boundary between two features: most guesses fall inside it.
        var trap = ",\"note\":\"}, {\\\"type\\\": \\\"Feature\\\"}, {\\\"x\\\": 1}\"";
        var path = _dir.Write("links.geojson", Links(200, i => RoadLink($"l{i}", "n1", i == 170 ? "ghost" : "n2", extra: ",\"length\":10,\"time\":1,\"speed\":30" + trap)));
        var diagnostics = SameInParts(path, NetworkLayer.Links, Known("n1", "n2"));
        Assert.Contains(diagnostics, d => d.Contains("b = 'ghost'") && d.Contains("(171,1)"));
    }

    [Fact]
    public void A_file_on_one_line_gets_the_columns_of_one_pass()
    {
        var path = _dir.Write("links.geojson", Links(200, i => i == 190 ? RoadLink("l190", "n1", "ghost") : null).Replace("\n", ""));
        var diagnostics = SameInParts(path, NetworkLayer.Links, Known("n1", "n2"));
        var dangling = Assert.Single(diagnostics, d => d.StartsWith("QTZ1210"));
        Assert.Contains("(1,", dangling);
    }

    [Theory]
    [InlineData("truncated", 0.8)]
    [InlineData("a broken value late in the file", 0.9)]
    [InlineData("a broken value early in the file", 0.1)]
    public void A_syntax_error_in_any_part_is_reported_where_one_pass_reports_it(string what, double where)
    {
        var text = Links(200);
        var at = text.IndexOf("{\"type\":\"Feature\"", (int)(text.Length * where), StringComparison.Ordinal);
        text = what == "truncated" ? text[..at] : text[..at] + "{\"type\":\"Feature\",\"properties\":{\"index\":NaN}}," + text[at..];
        var path = _dir.Write("links.geojson", text);
        var diagnostics = SameInParts(path, NetworkLayer.Links, Known("n1", "n2"));
        Assert.Single(diagnostics, d => d.StartsWith("QTZ1201"));
    }

    [Fact]
    public void Members_after_the_features_array_are_read_in_any_part_count()
    {
        var nodes = Enumerable.Range(1, 150).Select(i => Node($"n{i}")).ToList();
        var wrongType = "{\"features\":[\n" + string.Join(",\n", nodes) + "\n],\n\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:2154\"}},\n\"type\":\"Feature\"}\n";
        var diagnostics = SameInParts(_dir.Write("nodes.geojson", wrongType), NetworkLayer.Nodes);
        Assert.Contains(diagnostics, d => d.StartsWith("QTZ1206") && d.Contains("(153,"));
        Assert.Contains(diagnostics, d => d.StartsWith("QTZ1203") && d.Contains("(154,"));

        var valid = "{\"features\":[\n" + string.Join(",\n", nodes) + "\n],\n\"type\":\"FeatureCollection\"}\n";
        Assert.Empty(SameInParts(_dir.Write("nodes2.geojson", valid), NetworkLayer.Nodes));
    }

    [Fact]
    public void The_indexes_of_a_nodes_file_are_the_same_whatever_the_parts()
    {
        var path = _dir.Write("nodes.geojson", Collection(Enumerable.Range(1, 500).Select(i => Node($"n{i}")).ToArray()));
        for (var parts = 1; parts <= 4; parts++)
        {
            var index = NetworkValidator.Validate(new(path, NetworkLayer.Nodes, false, null, null), new DiagnosticBag(), parts, default);
            Assert.NotNull(index);
            Assert.Equal(500, index.Count);
            Assert.True(index.Contains("n1") && index.Contains("n250") && index.Contains("n500") && !index.Contains("n501"));
        }
    }
}
