using Quetzal.Sdk.Core;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// What a model publishes under its bucket's <c>_common/</c> prefix, which Quenedi reads beside the scenarios:
/// <c>lock.json</c> (the protected scenarios; base always), the model folder's <c>modelConfig.json</c>, its
/// documentation folder as <c>docs/</c>, and for a model with Fargate steps <c>steps.json</c> (see <see cref="WorkflowSteps"/>).
/// </summary>
public static class CommonFiles
{
    public const string Lock = "lock.json";
    public const string ModelConfig = "modelConfig.json";
    public const string Docs = "docs";

    /// <summary>lock.json's text: a JSON list of the protected scenarios' names, base first.</summary>
    public static string LockJson(IEnumerable<string> protectedScenarios)
        => "[" + string.Join(", ", new[] { Scenarios.Base }.Concat(protectedScenarios.Select(Scenarios.Key)).Distinct(StringComparer.Ordinal)
            .Select(n => System.Text.Json.JsonSerializer.Serialize(n))) + "]\n";

    /// <summary>
    /// The files to publish under _common/, with their keys below it. lock.json is written to <paramref name="lockFile"/>
    /// (in obj/) when it differs, so that its write time, and with it the publish's change detection, stays put.
    /// </summary>
    /// <param name="stepsJson">steps.json's text (a model with Fargate steps), written beside lock.json; null: none.</param>
    public static IReadOnlyList<(string Path, string Relative)> Collect(string lockFile, IEnumerable<string> protectedScenarios, string? modelConfigFile, string? docsDirectory,
        string? stepsJson = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        Core.GeneratedFiles.WriteIfChanged(lockFile, LockJson(protectedScenarios));
        var files = new List<(string, string)> { (lockFile, Lock) };
        if (stepsJson is not null)
        {
            var stepsFile = Path.Combine(Path.GetDirectoryName(lockFile)!, WorkflowSteps.FileName);
            Core.GeneratedFiles.WriteIfChanged(stepsFile, stepsJson);
            files.Add((stepsFile, WorkflowSteps.FileName));
        }
        if (modelConfigFile is not null && ModelFiles.Exists(modelConfigFile)) files.Add((modelConfigFile, ModelConfig));
        if (docsDirectory is not null && ModelFiles.FolderExists(docsDirectory))
            files.AddRange(Aws.ScenarioPublisher.LocalFiles(docsDirectory).Select(f => (f.Path, $"{Docs}/{f.Relative}")));
        return files;
    }
}
