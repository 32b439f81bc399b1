using Quetzal.Sdk.Core;
namespace Quetzal.Sdk.Model;

public static class Scenarios
{
    public const string Base = "base";

    /// <summary>The model's own prefix in the bucket (lock.json, modelConfig.json, docs/): Quenedi lists it as no scenario, and no scenario may take its name.</summary>
    public const string Common = "_common";

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
        var names = new List<string>();
        foreach (var name in SplitList(selection))
            names.Add(Find(declared, name) ?? throw new Diagnostics.QuetzalException(Diagnostics.Codes.UnknownScenarioSelected, property, name, string.Join(", ", ordered)));
        return ordered.Where(names.Contains).ToList();
    }

    /// <summary>
    /// The declared scenario a user means by <paramref name="name"/>: the same text, or the same in Unicode's composed
    /// form (macOS names files in decomposed form, a keyboard types composed: 'é' either way); null if none.
    /// </summary>
    public static string? Find(IEnumerable<string> declared, string name)
    {
        var list = declared.ToList();
        return list.FirstOrDefault(d => d == name) ?? list.FirstOrDefault(d => Key(d) == Key(name));
    }

    /// <summary>A scenario's name as the bucket's keys carry it: Unicode's composed form (NFC), so that Quenedi lists one scenario, not two look-alikes.</summary>
    public static string Key(string name) => name.Normalize(System.Text.NormalizationForm.FormC);

    /// <summary>
    /// Why a declared scenario may have no folder when one seems to be there: a folder whose name ends (or starts) with
    /// white space, which MSBuild drops from item names, or one written in another Unicode form. Empty when neither.
    /// </summary>
    public static string MissingFolderHint(string scenariosDirectory, string scenario)
    {
        foreach (var folder in Discover(scenariosDirectory))
        {
            if (folder == scenario) continue;
            if (folder.Trim() == scenario)
                return $" A folder '{folder}' is there, with white space at the {(folder.EndsWith(' ') ? "end" : "start")} of its name, which MSBuild drops from item names: rename the folder '{scenario}'.";
            if (Key(folder) == Key(scenario))
                return $" A folder of the same name is there, written in another Unicode form (decomposed accents, as macOS names files): rename the folder by typing its name again, or declare the scenario by the folder's own name.";
        }
        return "";
    }

    /// <summary>A list property's values: separated by ',' or ';', trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> SplitList(string? list)
        => (list ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The folders under the scenarios folder, by name, in ordinal order (what the project declares by default).</summary>
    public static IReadOnlyList<string> Discover(string scenariosDirectory)
        => ModelFiles.FolderExists(scenariosDirectory)
            ? ModelFiles.Folders(scenariosDirectory).Select(Path.GetFileName).OfType<string>().Where(n => !ModelFiles.IsSkippedName(n)).Order(StringComparer.Ordinal).ToArray()
            : [];
}
