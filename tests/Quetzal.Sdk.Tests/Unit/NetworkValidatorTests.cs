using System.Text;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;
using static Quetzal.Sdk.Tests.Infrastructure.Models;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class NetworkValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("network");

    public void Dispose() => _dir.Dispose();

    private (IReadOnlyList<Diagnostic> Diagnostics, NodeIndex? Nodes) Nodes(string content, bool isPt = false)
    {
        var bag = new DiagnosticBag();
        var nodes = NetworkValidator.ValidateNodes(_dir.Write("nodes.geojson", content), isPt, bag);
        return (bag.Items, nodes);
    }

    private IReadOnlyList<Diagnostic> Links(string content, bool isPt = false, params string[] nodes) => Links(content, NetworkValidator.DefaultBufferSize, isPt, nodes);

    private IReadOnlyList<Diagnostic> Links(string content, int bufferSize, bool isPt = false, params string[] nodes)
    {
        var bag = new DiagnosticBag();
        var known = new NodeIndex();
        foreach (var node in nodes.Length == 0 ? ["n1", "n2"] : nodes)
            known.Add(NodeIndex.Hash(System.Text.Encoding.UTF8.GetBytes(node)));
        NetworkValidator.ValidateLinks(_dir.Write("links.geojson", content), isPt, known, "nodes.geojson", bag, bufferSize: bufferSize);
        return bag.Items;
    }

    private static Diagnostic Single(IReadOnlyList<Diagnostic> diagnostics, string code)
    {
        Assert.Contains(diagnostics, d => d.Code == code);
        return diagnostics.Single(d => d.Code == code);
    }

    [Fact]
    public void The_template_networks_pass_without_any_diagnostic()
    {
        foreach (var network in new[] { "pt", "road" })
        {
            var folder = Path.Combine(Repository.TemplateContent, "scenarios", "base", "inputs", network);
            var bag = new DiagnosticBag();
            var nodes = NetworkValidator.ValidateNodes(Path.Combine(folder, "nodes.geojson"), network == "pt", bag);
            NetworkValidator.ValidateLinks(Path.Combine(folder, "links.geojson"), network == "pt", nodes, "nodes.geojson", bag);
            Assert.Empty(bag.Items);
            Assert.Equal(3, nodes!.Count);
        }
    }

    [Fact]
    public void Nodes_return_their_indexes_and_accept_numeric_indexes()
    {
        var (diagnostics, nodes) = Nodes(Collection(Node("a"), "{\"type\":\"Feature\",\"properties\":{\"index\":7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}"));
        Assert.Empty(diagnostics);
        Assert.True(nodes!.Contains("a"));
        Assert.True(nodes.Contains("7"));
        Assert.False(nodes.Contains("b"));
    }

    [Fact]
    public void A_truncated_file_is_invalid_json_with_the_line_and_column_where_it_stops()
    {
        var (diagnostics, nodes) = Nodes("{\"type\":\"FeatureCollection\",\n\"features\":[\n" + Node("a"));
        var error = Single(diagnostics, "QTZ1201");
        Assert.Equal(3, error.Line);
        Assert.Contains("truncated", error.Message);
        Assert.Null(nodes);
    }

    [Fact]
    public void An_empty_file_is_invalid_json()
        => Assert.Contains("empty", Single(Nodes("").Diagnostics, "QTZ1201").Message);

    [Fact]
    public void A_utf8_byte_order_mark_is_accepted()
    {
        var path = Path.Combine(_dir.Path, "bom.geojson");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Collection(Node("a")))]);
        var bag = new DiagnosticBag();
        Assert.NotNull(NetworkValidator.ValidateNodes(path, false, bag));
        Assert.Empty(bag.Items);
    }

    [Fact]
    public void A_utf16_file_is_reported_as_such()
    {
        var path = Path.Combine(_dir.Path, "utf16.geojson");
        File.WriteAllText(path, Collection(Node("a")), Encoding.Unicode);
        var bag = new DiagnosticBag();
        NetworkValidator.ValidateNodes(path, false, bag);
        Assert.Contains("UTF-16", Single(bag.Items, "QTZ1202").Message);
    }

    [Theory]
    [InlineData("[]", "array")]
    [InlineData("{\"type\":\"Feature\",\"features\":[]}", "'Feature'")]
    [InlineData("{\"type\":\"FeatureCollection\"}", "no 'features'")]
    [InlineData("{\"type\":\"FeatureCollection\",\"features\":{}}", "not an array")]
    [InlineData("{\"features\":[]}", "no \"type\"")]
    public void A_file_that_is_not_a_feature_collection_says_what_it_is(string content, string expected)
        => Assert.Contains(expected, Single(Nodes(content).Diagnostics, "QTZ1203").Message);

    [Fact]
    public void A_folder_where_a_network_file_should_be_is_unreadable_not_a_crash()
    {
        var path = Path.Combine(_dir.Path, "nodes-folder.geojson");
        Directory.CreateDirectory(path);
        var bag = new DiagnosticBag();
        Assert.Null(NetworkValidator.ValidateNodes(path, false, bag));
        Assert.Equal(path, Single(bag.Items, "QTZ1215").File);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_invalid_json_at_that_value()
    {
        var bytes = Encoding.UTF8.GetBytes(Collection(Node("a"), Node("b")));
        var at = Array.IndexOf(bytes, (byte)'b', Encoding.UTF8.GetBytes(Collection(Node("a"))).Length - 10);
        bytes[at] = 0xFF;
        var path = Path.Combine(_dir.Path, "latin1.geojson");
        File.WriteAllBytes(path, bytes);
        var bag = new DiagnosticBag();
        Assert.Null(NetworkValidator.ValidateNodes(path, false, bag));
        var error = Single(bag.Items, "QTZ1201");
        Assert.Contains("not valid UTF-8", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void NaN_is_not_json_and_the_error_says_where_it_comes_from()
        => Assert.Contains("json.dump", Single(Nodes(Collection("{\"type\":\"Feature\",\"properties\":{\"index\":\"a\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[NaN,1]}}")).Diagnostics, "QTZ1201").Message);

    [Fact]
    public void A_node_that_is_not_a_point_is_reported_with_its_line()
    {
        var content = Collection(Node("a"), RoadLink("b", "a", "a"));
        var error = Single(Nodes(content).Diagnostics, "QTZ1204");
        Assert.Equal(3, error.Line);
        Assert.Contains("node 'b' (feature 2) is a LineString; nodes must be Points", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_link_without_geometry_is_reported()
        => Assert.Contains("no geometry", Single(Links(Collection("{\"type\":\"Feature\",\"properties\":{\"index\":\"l\",\"a\":\"n1\",\"b\":\"n2\",\"length\":1,\"time\":1,\"speed\":1},\"geometry\":null}")), "QTZ1204").Message);

    [Theory]
    [InlineData("[1]")]
    [InlineData("[1,2,3,4]")]
    [InlineData("[[1,2]]")]
    [InlineData("[\"1\",2]")]
    [InlineData("[1e999,2]")]
    public void Malformed_point_coordinates_are_reported(string coordinates)
        => Single(Nodes(Collection("{\"type\":\"Feature\",\"properties\":{\"index\":\"a\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":" + coordinates + "}}")).Diagnostics, "QTZ1205");

    [Theory]
    [InlineData("[[1,2]]")]
    [InlineData("[1,2]")]
    [InlineData("[[1,2],3]")]
    [InlineData("[[[1,2],[3,4]]]")]
    public void Malformed_linestring_coordinates_are_reported(string coordinates)
        => Single(Links(Collection("{\"type\":\"Feature\",\"properties\":{\"index\":\"l\",\"a\":\"n1\",\"b\":\"n2\",\"length\":1,\"time\":1,\"speed\":1},\"geometry\":{\"type\":\"LineString\",\"coordinates\":" + coordinates + "}}")), "QTZ1205");

    [Theory]
    [InlineData("[[1,2],{\"x\":[3,4]},[5,6]]")]
    [InlineData("[[1,2],[3,null]]")]
    [InlineData("[[1,2],[3,\"4\"]]")]
    [InlineData("[[1,2],[[3,4]]]")]
    [InlineData("[[1,2],[3,4],{}]")]
    public void A_wrong_token_inside_a_links_coordinates_is_reported_for_that_link_alone(string coordinates)
    {
        // A wrong token inside the coordinates (a string, a null, an object, a level too deep) marks that link, what
        // follows it in the array is still read, and the next links start clean: the second is plain, the third has
        // three numbers per position (a height, which is allowed), so exactly one error, on the first.
        static string Link(string index, string coordinates) => "{\"type\":\"Feature\",\"properties\":{\"index\":\"" + index
            + "\",\"a\":\"n1\",\"b\":\"n2\",\"length\":1,\"time\":1,\"speed\":1},\"geometry\":{\"type\":\"LineString\",\"coordinates\":" + coordinates + "}}";
        var diagnostics = Links(Collection(Link("l1", coordinates), Link("l2", "[[1,2],[3,4]]"), Link("l3", "[[1,2],[3,4,5]]")));
        var error = Single(diagnostics, "QTZ1205");
        Assert.Equal(2, error.Line);
        Assert.Contains("(feature 1): coordinates are not a valid LineString", error.Message);
        Assert.DoesNotContain("feature 2", error.Message);
    }

    [Fact]
    public void Coordinates_in_metres_say_the_network_looks_projected()
    {
        var error = Single(Nodes(Collection(Node("a", 652000.5, 6862000.25))).Diagnostics, "QTZ1205");
        Assert.Contains("longitude 652000.5 is outside [-180, 180]", error.Message);
        Assert.Contains("projected", error.Message);
    }

    [Theory]
    [InlineData("[-180.0,-90]", false)]
    [InlineData("[179.9999,89.99]", false)]
    [InlineData("[180.5,0]", true)]
    [InlineData("[0,90.001]", true)]
    [InlineData("[-73.5e0,4.55e1]", false)]
    [InlineData("[-7.35e1,4.55e2]", true)]
    [InlineData("[12345.5,45]", true)]
    [InlineData("[1.5E+2,-8.9E1]", false)]
    public void Bounds_hold_for_every_way_of_writing_a_number(string coordinates, bool outside)
    {
        var diagnostics = Nodes(Collection("{\"type\":\"Feature\",\"properties\":{\"index\":\"a\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":" + coordinates + "}}")).Diagnostics;
        Assert.Equal(outside, diagnostics.Any(d => d.Code == "QTZ1205" && d.Message.Contains(" is outside [-")));
    }

    [Fact]
    public void Escaped_property_names_are_still_recognised()
    {
        var link = "{\"type\":\"Feature\",\"properties\":{\"ind\\u0065x\":\"l\",\"\\u0061\":\"n1\",\"b\":\"ghost\",\"length\":1,\"time\":1,\"speed\":1},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4]]}}";
        Assert.Contains("Link 'l' (feature 1): b = 'ghost'", Single(Links(Collection(link)), "QTZ1210").Message);
    }

    [Fact]
    public void Escaped_member_names_are_recognised_at_every_level()
    {
        // "geometry", "properties", "type", "coordinates" and "features" spelled with escapes: the same file as plain names.
        var node = "{\"type\":\"Feature\",\"pr\\u006fperties\":{\"index\":\"n\\u0031\"},\"ge\\u006fmetry\":{\"t\\u0079pe\":\"Point\",\"co\\u006frdinates\":[-73.5,45.5]}}";
        var escaped = _dir.Write("escaped.geojson", "{\"type\":\"FeatureCollection\",\"fe\\u0061tures\":[" + node + "," + node.Replace("n\\u0031", "n2", StringComparison.Ordinal) + "]}");
        var bag = new DiagnosticBag();
        var index = NetworkValidator.ValidateNodes(escaped, false, bag);
        Assert.Empty(bag.Items);
        Assert.NotNull(index);
        Assert.True(index.Contains("n1"));
        Assert.True(index.Contains("n2"));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Members_may_come_in_any_order()
    {
        var feature = """{"geometry":{"coordinates":[[-73.5,45.5],[-73.4,45.6]],"type":"LineString"},"properties":{"speed":1,"time":2,"length":3,"b":"n2","a":"n1","index":"l"},"type":"Feature"}""";
        Assert.Empty(Links(Collection(feature)));
    }

    [Theory]
    [InlineData("urn:ogc:def:crs:OGC:1.3:CRS84")]
    [InlineData("EPSG:4326")]
    [InlineData("urn:ogc:def:crs:EPSG::4326")]
    public void Geographic_crs_names_are_accepted(string crs)
        => Assert.Empty(Nodes(Collection([Node("a")], crs)).Diagnostics);

    [Fact]
    public void A_projected_crs_is_an_error_that_says_so()
    {
        var error = Single(Nodes(Collection([Node("a")], "urn:ogc:def:crs:EPSG::2154")).Diagnostics, "QTZ1206");
        Assert.Contains("EPSG::2154", error.Message);
        Assert.Contains("not longitude/latitude", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void A_feature_without_index_is_reported()
        => Assert.Contains("Feature 2 has no properties.index", Single(Nodes(Collection(Node("a"), """{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}""")).Diagnostics, "QTZ1207").Message);

    [Fact]
    public void A_duplicate_index_names_both_features()
    {
        var error = Single(Nodes(Collection(Node("a"), Node("b"), Node("a"))).Diagnostics, "QTZ1208");
        Assert.Contains("Feature 3 has index 'a', already used by feature 1", error.Message);
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public void Every_repeat_of_an_index_names_its_first_holder_and_repeats_past_the_listed_are_counted()
    {
        // 'a' held by features 2, 4 and 6; 'b' by 3 and 5; 'c' by 1 and 7..10 (four repeats past the five listed).
        var nodes = new[] { "c", "a", "b", "a", "b", "a", "c", "c", "c", "c" }.Select(n => Node(n)).ToArray();
        var diagnostics = Nodes(Collection(nodes)).Diagnostics;
        var listed = diagnostics.Where(d => d.Code == "QTZ1208").Select(d => d.Message).ToList();
        Assert.Equal(5, listed.Count);
        Assert.Contains("Feature 4 has index 'a', already used by feature 2", listed[0]);
        Assert.Contains("Feature 5 has index 'b', already used by feature 3", listed[1]);
        Assert.Contains("Feature 6 has index 'a', already used by feature 2", listed[2]);
        Assert.Contains("Feature 7 has index 'c', already used by feature 1", listed[3]);
        Assert.Contains("Feature 8 has index 'c', already used by feature 1", listed[4]);
        Assert.Contains(diagnostics, d => d.Code == "QTZ1213" && d.Message.Contains("QTZ1208", StringComparison.Ordinal) && d.Message.StartsWith("7 features in all", StringComparison.Ordinal));
    }

    [Fact]
    public void A_link_without_b_is_reported()
        => Assert.Contains("has no 'b'", Single(Links(Collection("""{"type":"Feature","properties":{"index":"l","a":"n1","length":1,"time":1,"speed":1},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}""")), "QTZ1209").Message);

    [Fact]
    public void A_link_to_a_missing_node_names_the_link_the_end_and_the_node()
    {
        var error = Single(Links(Collection(RoadLink("l1", "n1", "n2"), RoadLink("l2", "n1", "ghost"))), "QTZ1210");
        Assert.Contains("Link 'l2' (feature 2): b = 'ghost' is not a node of nodes.geojson", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Many_dangling_links_list_the_first_five_and_count_them_all()
    {
        var links = Enumerable.Range(0, 12).Select(i => RoadLink($"l{i}", "n1", $"missing{i}")).ToArray();
        var diagnostics = Links(Collection(links));
        Assert.Equal(5, diagnostics.Count(d => d.Code == "QTZ1210"));
        var count = Single(diagnostics, "QTZ1213");
        Assert.Contains("12 features in all break rule QTZ1210", count.Message);
    }

    [Fact]
    public void A_pt_link_needs_trip_id_and_link_sequence()
    {
        var error = Single(Links(Collection(RoadLink("l", "n1", "n2", ",\"time\":1,\"headway\":2")), isPt: true), "QTZ1211");
        Assert.Contains("'trip_id' and 'link_sequence'", error.Message);
    }

    [Fact]
    public void Missing_display_attributes_are_one_warning_per_attribute_not_an_error()
    {
        var diagnostics = Links(Collection(RoadLink("l1", "n1", "n2", ""), RoadLink("l2", "n1", "n2", ",\"length\":3")));
        Assert.All(diagnostics, d => Assert.Equal(Severity.Warning, d.Severity));
        Assert.Equal(["length", "speed", "time"], diagnostics.Select(d => d.Message.Split('\'')[1]).Order());
        Assert.Contains("2 of 2 links have no 'time' value (absent)", diagnostics.Single(d => d.Message.Contains("'time'")).Message);
        Assert.Contains("1 of 2 links have no 'length' value (absent)", diagnostics.Single(d => d.Message.Contains("'length'")).Message);
    }

    [Fact]
    public void A_null_display_attribute_is_said_null_and_the_warning_is_at_the_first_offender()
    {
        var content = Collection(RoadLink("l1", "n1", "n2"), RoadLink("l2", "n1", "n2", ",\"length\":3,\"time\":null,\"speed\":30"),
            RoadLink("l3", "n1", "n2", ",\"length\":3,\"speed\":30"));
        var time = Links(content).Single(d => d.Message.Contains("'time'"));
        Assert.Equal("2 of 3 links have no 'time' value (absent in 1, null in 1), which Quenedi displays; the first is feature 2, here.", time.Message);
        Assert.Equal((3, 1), (time.Line, time.Column));
        var allNull = Links(Collection(RoadLink("l1", "n1", "n2", ",\"length\":3,\"time\":null,\"speed\":30"))).Single();
        Assert.Contains("have no 'time' value (null)", allNull.Message);
    }

    [Fact]
    public void Without_readable_nodes_links_are_checked_for_everything_but_references()
    {
        var bag = new DiagnosticBag();
        NetworkValidator.ValidateLinks(_dir.Write("links.geojson", Collection(RoadLink("l", "x", "y"))), false, null, "nodes.geojson", bag);
        Assert.Empty(bag.Items);
    }

    [Fact]
    public void Reading_across_many_small_buffers_gives_the_same_findings_and_positions()
    {
        var features = Enumerable.Range(0, 200).Select(i => RoadLink($"l{i}", "n1", i == 150 ? "ghost" : "n2")).ToArray();
        var content = Collection(features);
        var error = Single(Links(content, bufferSize: 64), "QTZ1210");
        Assert.Equal(152, error.Line);
        Assert.Equal(1, error.Column);
    }

    [Fact]
    public void A_single_line_file_gives_columns()
    {
        var content = Collection(RoadLink("l1", "n1", "n2"), RoadLink("l2", "n1", "ghost")).Replace("\n", "");
        var error = Single(Links(content), "QTZ1210");
        Assert.Equal(1, error.Line);
        Assert.Equal(content.IndexOf("{\"type\":\"Feature\",\"properties\":{\"index\":\"l2\"", StringComparison.Ordinal) + 1, error.Column);
    }

    [Fact]
    public void Deep_nesting_is_invalid_json_not_a_crash()
    {
        var deep = new string('[', 100) + new string(']', 100);
        var content = "{\"type\":\"FeatureCollection\",\"features\":[],\"extra\":" + deep + "}";
        Single(Nodes(content).Diagnostics, "QTZ1201");
    }

    [Fact]
    public void Unknown_members_of_any_shape_are_skipped()
    {
        var content = "{\"type\":\"FeatureCollection\",\"name\":\"road\",\"bbox\":[1,2,3,4],\"meta\":{\"x\":[{\"y\":1}]},\"features\":["
            + """{"type":"Feature","id":5,"bbox":[1,2],"properties":{"index":"a","tags":{"k":[1,{"v":2}]}},"geometry":{"type":"Point","coordinates":[1,2],"extra":{"a":[1]}}}"""
            + "]}";
        var (diagnostics, nodes) = Nodes(content);
        Assert.Empty(diagnostics);
        Assert.Equal(1, nodes!.Count);
    }
}
