using Microsoft.Build.Framework;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelValidator"/> on the resolved model.</summary>
public sealed class ValidateQuetzalModel : ModelTask
{
    /// <summary>Where what each input gave is kept between builds (<see cref="ValidationCache"/>); empty: every input is validated.</summary>
    public string? CacheFile { get; set; }

    /// <summary>Where what validation read is recorded (<see cref="Core.ReadRecord"/>): it runs again only when that, a setting or the SDK changed.</summary>
    public string? RecordFile { get; set; }

    protected override string? ReadRecordFile => RecordFile;

    /// <summary>Nothing validation read changed: its warnings follow, so they stay in the build output and the IDE's error list.</summary>
    protected override void UpToDate(int kept)
        => Log.LogMessage(MessageImportance.Normal, kept == 0 ? "Quetzal: validation skipped (nothing it reads changed)."
            : $"Quetzal: validation skipped (nothing it reads changed); the {kept} findings of the last one follow.");

    protected override void ExecuteCore()
    {
        var model = Resolved;
        var cache = NullIfEmpty(CacheFile) is { } cacheFile ? ValidationCache.Load(cacheFile) : ValidationCache.None;
        var diagnostics = ModelValidator.Validate(model.Settings, model.ProjectFile, model.GeneratedStateMachineFile, Cancellation, cache).Diagnostics;
        cache.Save();
        if (cache.Reused > 0) Log.LogMessage(MessageImportance.Normal, $"Quetzal: {cache.Validated} inputs validated, {cache.Reused} unchanged since the last build (their findings kept)");
        Report(diagnostics);
    }
}
