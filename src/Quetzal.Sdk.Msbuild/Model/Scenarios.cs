namespace Quetzal.Sdk.Model;

public static class Scenarios
{
    public const string Base = "base";

    /// <summary>The publish order: base first (Quenedi copies new scenarios from it), then the others in project order.</summary>
    public static IReadOnlyList<string> Ordered(IEnumerable<string> declared)
    {
        var distinct = declared.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Remove(Base)) distinct.Insert(0, Base);
        return distinct;
    }

    /// <summary>The folders under the scenarios folder, by name, in ordinal order (what the project declares by default).</summary>
    public static IReadOnlyList<string> Discover(string scenariosDirectory)
        => Directory.Exists(scenariosDirectory)
            ? Directory.GetDirectories(scenariosDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];
}
