using System.Text.Json.Nodes;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Corpus;

/// <summary>The repository's States Language corpus (tests/Quetzal.Sdk.Tests/Corpus): its kinds are run/ and check/, a case a .json file.</summary>
public static class CorpusFiles
{
    public static string Root { get; } = Path.Combine(Repository.Root, "tests", "Quetzal.Sdk.Tests", "Corpus");

    /// <summary>The names of a kind's cases, in order.</summary>
    public static TheoryData<string> Cases(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, kind), "*.json").Order(StringComparer.Ordinal)) data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    /// <summary>One case, as written.</summary>
    public static JsonObject Case(string kind, string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, kind, name + ".json")))!.AsObject();
}
