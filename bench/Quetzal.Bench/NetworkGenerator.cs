using System.Globalization;
using System.Text;

namespace Quetzal.Bench;

/// <summary>Synthetic quetzal road networks of the shape real files have: index, a, b, geometry and the usual attributes.</summary>
public static class NetworkGenerator
{
    public static (string Nodes, string Links) Road(string folder, int links, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var nodeCount = Math.Max(2, links / 2);
        var lon = new double[nodeCount];
        var lat = new double[nodeCount];
        var nodes = Path.Combine(folder, "nodes.geojson");
        using (var writer = new StreamWriter(nodes, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write("{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\"}}, \"features\": [\n");
            for (var i = 0; i < nodeCount; i++)
            {
                lon[i] = -73.9 + random.NextDouble() * 0.6;
                lat[i] = 45.4 + random.NextDouble() * 0.3;
                writer.Write(i == 0 ? "" : ",\n");
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"type\": \"Feature\", \"properties\": {{\"index\": \"road_node_{i}\"}}, \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{lon[i]:F7}, {lat[i]:F7}]}}}}"));
            }
            writer.Write("\n]}\n");
        }
        var linksPath = Path.Combine(folder, "links.geojson");
        using (var writer = new StreamWriter(linksPath, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write("{\"type\": \"FeatureCollection\", \"features\": [\n");
            for (var i = 0; i < links; i++)
            {
                var a = random.Next(nodeCount);
                var b = random.Next(nodeCount);
                var midLon = (lon[a] + lon[b]) / 2 + random.NextDouble() * 0.001;
                var midLat = (lat[a] + lat[b]) / 2 + random.NextDouble() * 0.001;
                writer.Write(i == 0 ? "" : ",\n");
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"type\": \"Feature\", \"properties\": {{\"index\": \"road_link_{i}\", \"a\": \"road_node_{a}\", \"b\": \"road_node_{b}\", \"length\": {random.NextDouble() * 500:F2}, \"time\": {random.NextDouble() * 60:F2}, \"speed\": {20 + random.Next(90)}, \"highway\": \"residential\", \"oneway\": {(random.Next(2) == 0 ? "true" : "false")}, \"lanes\": {1 + random.Next(3)}}}, \"geometry\": {{\"type\": \"LineString\", \"coordinates\": [[{lon[a]:F7}, {lat[a]:F7}], [{midLon:F7}, {midLat:F7}], [{lon[b]:F7}, {lat[b]:F7}]]}}}}"));
            }
            writer.Write("\n]}\n");
        }
        return (nodes, linksPath);
    }
}
