using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Says again the warnings of the last validation, when this build skipped it (see <see cref="KeptWarnings"/>).</summary>
public sealed class ReplayQuetzalWarnings : QuetzalTask
{
    [Required] public string WarningsFile { get; set; } = "";

    /// <summary>When this build's project was evaluated (UTC ticks): a file written since is this build's validation's own.</summary>
    [Required] public long EvaluatedAt { get; set; }

    protected override void ExecuteCore()
    {
        if (!File.Exists(WarningsFile) || File.GetLastWriteTimeUtc(WarningsFile).Ticks >= EvaluatedAt) return;
        var warnings = KeptWarnings.Read(WarningsFile);
        if (warnings.Count == 0) return;
        Log.LogMessage(MessageImportance.Normal, $"Quetzal: validation skipped (nothing it reads changed); the {warnings.Count} warnings of the last one follow.");
        foreach (var (code, file, line, column, message) in warnings)
            Log.LogWarning(null, code, null, file, line, column, 0, 0, message);
    }
}
