namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>Small helpers to make model folders and the GeoJSON that goes in them.</summary>
public static class Models
{
    /// <summary>A copy of the template's model, with a project that imports the SDK from source and the freshly built tasks.</summary>
    public static string FromSource(TempDirectory root, string name = "demo-model", string properties = "", string items = "")
    {
        var folder = root.Combine(name);
        TempDirectory.CopyDirectory(Repository.TemplateContent, folder);
        Directory.Delete(Path.Combine(folder, ".template.config"), recursive: true);
        File.Delete(Path.Combine(folder, "quetzal-model.quetzalproj"));
        File.WriteAllText(Path.Combine(folder, name + ".quetzalproj"), $"""
            <Project>
              <Import Project="{Repository.SdkDirectory}/Sdk.props" />
              <PropertyGroup>
                <QuetzalTasksAssembly>{Repository.TasksAssembly}</QuetzalTasksAssembly>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
              <Import Project="{Repository.SdkDirectory}/Sdk.targets" />
            </Project>
            """);
        WriteIsolatedNuGetConfig(root.Path, null);
        return folder;
    }

    /// <summary>The settings a project with Sdk.targets' defaults gives the validator, for a model folder.</summary>
    public static Quetzal.Sdk.Model.ModelSettings Settings(string modelDirectory, string name, IReadOnlyList<string> scenarios) => new()
    {
        ModelDirectory = modelDirectory, ModelName = name, Region = "ca-central-1",
        MemorySize = "4016", Timeout = "300", StorageSize = "4016",
        ScenariosDirectory = "scenarios", Scenarios = scenarios, Networks = Quetzal.Sdk.Model.Network.All, StateMachineFile = "step-functions.json",
    };

    /// <summary>A nuget.config that sees only the given feed (or none), so builds never depend on the network.</summary>
    public static void WriteIsolatedNuGetConfig(string folder, string? feed)
    {
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                {(feed is null ? "" : $"<add key=\"quetzal-test-feed\" value=\"{feed}\" />")}
              </packageSources>
            </configuration>
            """);
    }

    public static string Node(string index, double lon = -73.56, double lat = 45.50, string extra = "")
        => "{\"type\":\"Feature\",\"properties\":{\"index\":\"" + index + "\"" + extra + "},\"geometry\":{\"type\":\"Point\",\"coordinates\":["
           + lon.ToString(System.Globalization.CultureInfo.InvariantCulture) + "," + lat.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]}}";

    public static string RoadLink(string index, string a, string b, string extra = ",\"length\":10,\"time\":1,\"speed\":30")
        => "{\"type\":\"Feature\",\"properties\":{\"index\":\"" + index + "\",\"a\":\"" + a + "\",\"b\":\"" + b + "\"" + extra
           + "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[-73.56,45.50],[-73.55,45.51]]}}";

    public static string PtLink(string index, string a, string b)
        => RoadLink(index, a, b, ",\"trip_id\":\"t1\",\"link_sequence\":1,\"time\":60,\"headway\":600");

    public static string Collection(params string[] features) => Collection(features, crs: null);

    public static string Collection(IEnumerable<string> features, string? crs)
        => "{\"type\":\"FeatureCollection\"," + (crs is null ? "" : $"\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"{crs}\"}}}},")
           + "\"features\":[\n" + string.Join(",\n", features) + "\n]}\n";
}
