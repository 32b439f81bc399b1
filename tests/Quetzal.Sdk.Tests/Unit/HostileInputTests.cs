using System.Text;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>
/// The hostile-input corpus: each case breaks one thing in a copy of the template model, and the whole model is
/// validated as `dotnet build` validates it. Each must give its documented code, naming the file (and line and column
/// where there is one) — never an exception, never QTZ9001.
/// </summary>
public sealed class HostileInputTests
{
    private const string RoadLinks = "scenarios/base/inputs/road/links.geojson";
    private const string RoadNodes = "scenarios/base/inputs/road/nodes.geojson";
    private const string PtLinks = "scenarios/base/inputs/pt/links.geojson";
    private const string Params = "scenarios/base/inputs/params.json";
    private const string StateMachine = "step-functions.json";
    private const string Project = "m.quetzalproj";

    public sealed record Case(string Name, string Code, string File, bool HasLine, Action<string>? Break = null, Func<ModelSettings, ModelSettings>? Settings = null)
    {
        public override string ToString() => Name;
    }

    private static Action<string> Write(string file, string text) => model => File.WriteAllText(Path.Combine(model, file), text);
    private static Action<string> WriteBytes(string file, byte[] bytes) => model => File.WriteAllBytes(Path.Combine(model, file), bytes);
    private static Action<string> Edit(string file, string from, string to) => model =>
    {
        var path = Path.Combine(model, file);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    };

    private const string Link0 = "\"index\": \"road_link_0\", \"a\": \"road_node_0\", \"b\": \"road_node_1\"";
    private const string LineGeometry0 = "\"geometry\": { \"type\": \"LineString\", \"coordinates\": [ [ -73.5673, 45.5017 ], [ -73.5610, 45.5048 ] ] }";
    private const string Node0 = "{ \"type\": \"Feature\", \"properties\": { \"index\": \"road_node_0\" }, \"geometry\": { \"type\": \"Point\", \"coordinates\": [ -73.5673, 45.5017 ] } }";

    public static IEnumerable<object[]> Cases() => new Case[]
    {
        // Reading the file
        new("empty network file", "QTZ1201", RoadLinks, true, Write(RoadLinks, "")),
        new("only white space", "QTZ1201", RoadLinks, true, Write(RoadLinks, "  \n\t \n")),
        new("truncated network", "QTZ1201", RoadLinks, true, model => File.WriteAllText(Path.Combine(model, RoadLinks), File.ReadAllText(Path.Combine(model, RoadLinks))[..400])),
        new("UTF-16 LE with a byte order mark", "QTZ1202", RoadNodes, true, model => File.WriteAllText(Path.Combine(model, RoadNodes), File.ReadAllText(Path.Combine(model, RoadNodes)), Encoding.Unicode)),
        new("UTF-16 BE with a byte order mark", "QTZ1202", RoadNodes, true, model => File.WriteAllText(Path.Combine(model, RoadNodes), File.ReadAllText(Path.Combine(model, RoadNodes)), Encoding.BigEndianUnicode)),
        new("UTF-16 without a byte order mark", "QTZ1202", RoadNodes, true, model => File.WriteAllBytes(Path.Combine(model, RoadNodes), new UnicodeEncoding(false, false).GetBytes(File.ReadAllText(Path.Combine(model, RoadNodes))))),
        new("UTF-32", "QTZ1202", RoadNodes, true, model => File.WriteAllText(Path.Combine(model, RoadNodes), File.ReadAllText(Path.Combine(model, RoadNodes)), Encoding.UTF32)),
        new("invalid UTF-8 inside a string", "QTZ1201", RoadNodes, true, model =>
        {
            var path = Path.Combine(model, RoadNodes);
            var bytes = File.ReadAllBytes(path);
            bytes[Encoding.UTF8.GetString(bytes).IndexOf("road_node_1", StringComparison.Ordinal)] = 0xFF;
            File.WriteAllBytes(path, bytes);
        }),
        new("NaN coordinate", "QTZ1201", RoadNodes, true, Edit(RoadNodes, "-73.5673, 45.5017", "NaN, 45.5017")),
        new("Infinity coordinate", "QTZ1201", RoadNodes, true, Edit(RoadNodes, "-73.5673, 45.5017", "Infinity, 45.5017")),
        new("-Infinity coordinate", "QTZ1201", RoadNodes, true, Edit(RoadNodes, "-73.5673, 45.5017", "-Infinity, 45.5017")),
        new("number out of double range", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "-73.5673, 45.5017", "1e400, 45.5017")),
        new("deep nesting", "QTZ1201", RoadLinks, true, Edit(RoadLinks, "\"lanes\": 2 }", "\"lanes\": 2, \"x\": " + new string('[', 500) + new string(']', 500) + " }")),
        new("trailing garbage after the collection", "QTZ1201", RoadLinks, true, model => File.AppendAllText(Path.Combine(model, RoadLinks), "{}")),
        new("a comment", "QTZ1201", RoadLinks, true, Edit(RoadLinks, "\"features\": [", "// road links\n\"features\": [")),
        new("single quotes", "QTZ1201", RoadLinks, true, Edit(RoadLinks, "\"highway\": \"primary\"", "'highway': 'primary'")),
        new("a single value larger than 64 MB", "QTZ1214", RoadLinks, true, model =>
            File.WriteAllText(Path.Combine(model, RoadLinks), "{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"note\":\"" + new string('x', 65 << 20) + "\"}}]}")),

        // GeoJSON structure
        new("top level is an array", "QTZ1203", RoadLinks, true, Write(RoadLinks, "[]")),
        new("top level is a string", "QTZ1203", RoadLinks, true, Write(RoadLinks, "\"links\"")),
        new("a Feature, not a FeatureCollection", "QTZ1203", RoadLinks, true, Write(RoadLinks, "{\"type\":\"Feature\",\"features\":[]}")),
        new("features is an object", "QTZ1203", RoadLinks, true, Write(RoadLinks, "{\"type\":\"FeatureCollection\",\"features\":{}}")),
        new("no features member", "QTZ1203", RoadLinks, true, Write(RoadLinks, "{\"type\":\"FeatureCollection\"}")),
        new("a node that is a LineString", "QTZ1204", RoadNodes, true, Edit(RoadNodes, "\"type\": \"Point\", \"coordinates\": [ -73.5673, 45.5017 ]", "\"type\": \"LineString\", \"coordinates\": [ [ -73.5673, 45.5017 ], [ -73.5, 45.5 ] ]")),
        new("a link that is a Point", "QTZ1204", RoadLinks, true, Edit(RoadLinks, LineGeometry0, "\"geometry\": { \"type\": \"Point\", \"coordinates\": [ -73.5673, 45.5017 ] }")),
        new("a link that is a MultiLineString", "QTZ1204", RoadLinks, true, Edit(RoadLinks, "\"type\": \"LineString\", \"coordinates\": [ [ -73.5673, 45.5017 ], [ -73.5610, 45.5048 ] ]", "\"type\": \"MultiLineString\", \"coordinates\": [ [ [ -73.5673, 45.5017 ], [ -73.5610, 45.5048 ] ] ]")),
        new("a null geometry", "QTZ1204", RoadLinks, true, Edit(RoadLinks, LineGeometry0, "\"geometry\": null")),
        new("no geometry", "QTZ1204", RoadLinks, true, Edit(RoadLinks, ", " + LineGeometry0, "")),
        new("a feature that is an array", "QTZ1204", RoadNodes, true, Edit(RoadNodes, Node0, "[1, 2]")),
        new("a feature that is a number", "QTZ1204", RoadNodes, true, Edit(RoadNodes, Node0, "42")),
        new("coordinates as strings", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ \"-73.5673\", \"45.5017\" ]")),
        new("a point with one number", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ -73.5673 ]")),
        new("a point with four numbers", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ -73.5673, 45.5017, 0, 1 ]")),
        new("a line with one position", "QTZ1205", RoadLinks, true, Edit(RoadLinks, "[ [ -73.5673, 45.5017 ], [ -73.5610, 45.5048 ] ]", "[ [ -73.5673, 45.5017 ] ]")),
        new("mixed numbers and positions", "QTZ1205", RoadLinks, true, Edit(RoadLinks, "[ [ -73.5673, 45.5017 ], [ -73.5610, 45.5048 ] ]", "[ [ -73.5673, 45.5017 ], 3 ]")),
        new("longitude out of bounds", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ -273.5673, 45.5017 ]")),
        new("latitude out of bounds", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ -73.5673, 145.5017 ]")),
        new("coordinates in metres", "QTZ1205", RoadNodes, true, Edit(RoadNodes, "[ -73.5673, 45.5017 ]", "[ 652012.25, 6862311.5 ]")),
        new("a projected CRS (Lambert 93)", "QTZ1206", RoadNodes, true, Edit(RoadNodes, "\"type\": \"FeatureCollection\",", "\"type\": \"FeatureCollection\", \"crs\": { \"type\": \"name\", \"properties\": { \"name\": \"urn:ogc:def:crs:EPSG::2154\" } },")),
        new("a projected CRS (UTM 18N)", "QTZ1206", PtLinks, true, Edit(PtLinks, "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:32618")),
        new("a CRS name that is not a string", "QTZ1206", PtLinks, true, Edit(PtLinks, "\"urn:ogc:def:crs:OGC:1.3:CRS84\"", "4326")),

        // Indexes and references
        new("a feature without index", "QTZ1207", RoadNodes, true, Edit(RoadNodes, "\"properties\": { \"index\": \"road_node_0\" }", "\"properties\": { }")),
        new("an index that is an object", "QTZ1207", RoadNodes, true, Edit(RoadNodes, "\"index\": \"road_node_0\"", "\"index\": { \"id\": 0 }")),
        new("no properties at all", "QTZ1207", RoadNodes, true, Edit(RoadNodes, "\"properties\": { \"index\": \"road_node_0\" }, ", "")),
        new("a duplicate index", "QTZ1208", RoadNodes, true, Edit(RoadNodes, "\"index\": \"road_node_2\"", "\"index\": \"road_node_0\"")),
        new("a duplicate between 7 and \"7\"", "QTZ1208", RoadNodes, true, model =>
        {
            Edit(RoadNodes, "\"index\": \"road_node_1\"", "\"index\": 7")(model);
            Edit(RoadNodes, "\"index\": \"road_node_2\"", "\"index\": \"7\"")(model);
        }),
        new("a link without a", "QTZ1209", RoadLinks, true, Edit(RoadLinks, Link0, "\"index\": \"road_link_0\", \"b\": \"road_node_1\"")),
        new("a link without b", "QTZ1209", RoadLinks, true, Edit(RoadLinks, Link0, "\"index\": \"road_link_0\", \"a\": \"road_node_0\"")),
        new("a link whose a is null", "QTZ1209", RoadLinks, true, Edit(RoadLinks, Link0, "\"index\": \"road_link_0\", \"a\": null, \"b\": \"road_node_1\"")),
        new("a dangling reference", "QTZ1210", RoadLinks, true, Edit(RoadLinks, Link0, "\"index\": \"road_link_0\", \"a\": \"road_node_0\", \"b\": \"road_node_404\"")),
        new("a reference to a node of the other network", "QTZ1210", PtLinks, true, Edit(PtLinks, "\"b\": \"pt_node_1\"", "\"b\": \"road_node_1\"")),
        new("a pt link without trip_id", "QTZ1211", PtLinks, true, Edit(PtLinks, "\"trip_id\": \"orange_1\", ", "")),
        new("a pt link without link_sequence", "QTZ1211", PtLinks, true, Edit(PtLinks, "\"link_sequence\": 1, ", "")),

        // params.json
        new("params.json is not JSON", "QTZ1201", Params, true, Write(Params, "category: general")),
        new("params.json is an object", "QTZ1301", Params, true, Write(Params, "{\"category\": \"general\"}")),
        new("a category without params", "QTZ1301", Params, true, Write(Params, "[{\"category\": \"general\"}]")),
        new("params that is a string", "QTZ1301", Params, true, Write(Params, "[{\"category\": \"general\", \"params\": \"demand_factor=1\"}]")),
        new("a parameter without name", "QTZ1301", Params, true, Edit(Params, "\"name\": \"demand_factor\",", "")),
        new("a parameter without value", "QTZ1301", Params, true, Edit(Params, "\"value\": 1.0,", "")),

        // The state machine
        new("state machine not JSON", "QTZ2002", StateMachine, true, Edit(StateMachine, "\"StartAt\"", "// start\n\"StartAt\"")),
        new("no StartAt", "QTZ2003", StateMachine, true, Edit(StateMachine, "\"StartAt\": \"network_summary\",", "")),
        new("StartAt names no state", "QTZ2004", StateMachine, true, Edit(StateMachine, "\"StartAt\": \"network_summary\"", "\"StartAt\": \"prepare\"")),
        new("Next names no state", "QTZ2004", StateMachine, true, Edit(StateMachine, "\"Next\": \"loaded_links\"", "\"Next\": \"assignment\"")),
        new("no terminal state", "QTZ2005", StateMachine, true, Edit(StateMachine, "\"End\": true", "\"Next\": \"network_summary\"")),
        new("an unknown placeholder", "QTZ2007", StateMachine, true, Edit(StateMachine, "${LambdaFunctionArn}\",\n        \"Payload\": {\n          \"notebook_path\": \"steps/loaded_links.py\"", "${LambdaArn}\",\n        \"Payload\": {\n          \"notebook_path\": \"steps/loaded_links.py\"")),
        new("a notebook that does not exist", "QTZ2008", StateMachine, true, Edit(StateMachine, "steps/loaded_links.py", "steps/assignment.py")),
        new("a notebook outside the model", "QTZ2008", StateMachine, true, Edit(StateMachine, "steps/loaded_links.py", "../secrets.py")),
        new("an unknown state type", "QTZ2003", StateMachine, true, Edit(StateMachine, "\"Type\": \"Task\",\n      \"Resource\": \"arn:aws:states:::lambda:invoke\",\n      \"OutputPath\": \"$.Payload\",\n      \"Parameters\": {\n        \"FunctionName\": \"${LambdaFunctionArn}\",\n        \"Payload\": {\n          \"notebook_path\": \"steps/loaded_links.py\"", "\"Type\": \"Job\",\n      \"Resource\": \"arn:aws:states:::lambda:invoke\",\n      \"OutputPath\": \"$.Payload\",\n      \"Parameters\": {\n        \"FunctionName\": \"${LambdaFunctionArn}\",\n        \"Payload\": {\n          \"notebook_path\": \"steps/loaded_links.py\"")),
        new("a state with Next and End", "QTZ2003", StateMachine, true, Edit(StateMachine, "\"End\": true", "\"End\": true, \"Next\": \"network_summary\"")),
        new("no state machine and no steps", "QTZ2001", Project, false, model => File.Delete(Path.Combine(model, StateMachine))),

        // Settings and names
        new("an uppercase model name", "QTZ1001", Project, false, Settings: s => s with { ModelName = "Quetzal-Paris" }),
        new("a 64-character model name", "QTZ1001", Project, false, Settings: s => s with { ModelName = new string('q', 64) }),
        new("a model name like an IP address", "QTZ1001", Project, false, Settings: s => s with { ModelName = "192.168.5.4" }),
        new("a model name with an underscore", "QTZ1001", Project, false, Settings: s => s with { ModelName = "quetzal_paris" }),
        new("memory of 0 MB", "QTZ1006", Project, false, Settings: s => s with { MemorySize = "0" }),
        new("memory beyond Lambda's maximum", "QTZ1006", Project, false, Settings: s => s with { MemorySize = "20480" }),
        new("a timeout of 901 s", "QTZ1006", Project, false, Settings: s => s with { Timeout = "901" }),
        new("a fractional timeout", "QTZ1006", Project, false, Settings: s => s with { Timeout = "60.5" }),
        new("storage that is not a number", "QTZ1006", Project, false, Settings: s => s with { StorageSize = "lots" }),
        new("storage below 512 MB", "QTZ1006", Project, false, Settings: s => s with { StorageSize = "256" }),
        new("a region that is not one", "QTZ1007", Project, false, Settings: s => s with { Region = "Montreal" }),
        new("an image tag starting with a dash", "QTZ1008", Project, false, Settings: s => s with { ImageTag = "-latest" }),

        // Scenarios
        new("a scenario escaping with ..", "QTZ1102", Project, false, Settings: s => s with { Scenarios = ["base", "../outside"] }),
        new("a scenario with a separator", "QTZ1102", Project, false, Settings: s => s with { Scenarios = ["base", "2030/peak"] }),
        new("a scenario with a backslash", "QTZ1102", Project, false, Settings: s => s with { Scenarios = ["base", "2030\\peak"] }),
        new("a scenario with a leading space", "QTZ1102", Project, false, Settings: s => s with { Scenarios = ["base", " peak"] }),
        new("a scenario with a control character", "QTZ1102", Project, false, Settings: s => s with { Scenarios = ["base", "peak\u0007"] }),
        new("no base scenario", "QTZ1101", Project, false, Settings: s => s with { Scenarios = ["peak"] }),
        new("a missing required input", "QTZ1104", "scenarios/base", false, model => File.Delete(Path.Combine(model, "scenarios/base/inputs/road/nodes.geojson"))),
        new("a scenario folder that is a link out of the model", "QTZ1107", "scenarios/linked", false, model =>
        {
            var outside = Path.Combine(Path.GetDirectoryName(model)!, "outside-scenario");
            TempDirectory.CopyDirectory(Path.Combine(model, "scenarios", "base"), outside);
            Directory.CreateSymbolicLink(Path.Combine(model, "scenarios", "linked"), outside);
        }, s => s with { Scenarios = ["base", "linked"] }),
        new("an input file that is a link out of the model", "QTZ1107", RoadLinks, false, model =>
        {
            var path = Path.Combine(model, RoadLinks);
            var outside = Path.Combine(Path.GetDirectoryName(model)!, "stolen.geojson");
            File.Copy(path, outside);
            File.Delete(path);
            File.CreateSymbolicLink(path, outside);
        }),
        new("a folder where a network file should be", "QTZ1104", "scenarios/base", false, model =>
        {
            File.Delete(Path.Combine(model, PtLinks));
            Directory.CreateDirectory(Path.Combine(model, PtLinks));
        }),
    }.Select(c => new object[] { c });

    [Fact]
    public void The_corpus_has_at_least_fifty_cases() => Assert.True(Cases().Count() >= 50, $"{Cases().Count()} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_hostile_input_gives_its_documented_code_and_the_file(Case hostile)
    {
        using var root = new TempDirectory("hostile");
        var model = root.Combine("m");
        TempDirectory.CopyDirectory(Repository.TemplateContent, model);
        hostile.Break?.Invoke(model);
        var settings = Models.Settings(model, "quetzal-test", ["base"]);
        if (hostile.Settings is not null) settings = hostile.Settings(settings);

        var result = ModelValidator.Validate(settings, Path.Combine(model, Project), Path.Combine(model, "obj", "quetzal", "step-functions.json"));

        Assert.DoesNotContain(result.Diagnostics, d => d.Code == "QTZ9001");
        var expected = Path.GetFullPath(Path.Combine(model, hostile.File));
        var matches = result.Diagnostics.Where(d => d.Code == hostile.Code).ToList();
        Assert.True(matches.Count > 0, $"{hostile.Name}: no {hostile.Code} among {string.Join(" | ", result.Diagnostics)}");
        Assert.Contains(matches, d => d.File is not null && Path.GetFullPath(d.File) == expected && (!hostile.HasLine || (d.Line > 0 && d.Column > 0)));
    }
}
