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

    /// <summary>
    /// The scenarios a command works on: every declared one in publish order, or those a selection names (separated
    /// by ',' or ';': a comma survives every shell unquoted), in the same order. A name that is not declared is
    /// QTZ1108, naming <paramref name="property"/> and listing the declared ones.
    /// </summary>
    public static IReadOnlyList<string> Select(IReadOnlyList<string> declared, string? selection, string property)
    {
        var ordered = Ordered(declared);
        if (string.IsNullOrWhiteSpace(selection)) return ordered;
        var names = SplitList(selection);
        foreach (var name in names.Where(n => !declared.Contains(n, StringComparer.Ordinal)))
            throw new Diagnostics.QuetzalException(Diagnostics.Codes.UnknownScenarioSelected, property, name, string.Join(", ", ordered));
        return ordered.Where(names.Contains).ToList();
    }

    /// <summary>A list property's values: separated by ',' or ';', trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> SplitList(string? list)
        => (list ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The folders under the scenarios folder, by name, in ordinal order (what the project declares by default).</summary>
    public static IReadOnlyList<string> Discover(string scenariosDirectory)
        => Directory.Exists(scenariosDirectory)
            ? Directory.GetDirectories(scenariosDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];
}
