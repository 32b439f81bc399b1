using Quetzal.Sdk.Core;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Container;

namespace Quetzal.Sdk.Tasks;

/// <summary>Deletes the files the SDK generated in the model folder; files the user took over stay.</summary>
public sealed class CleanQuetzalGeneratedFiles : QuetzalTask
{
    public ITaskItem[] Files { get; set; } = [];

    protected override void ExecuteCore()
    {
        foreach (var file in Files)
        {
            var path = file.GetMetadata("FullPath");
            if (!File.Exists(path) || !GeneratedFiles.IsOwnedBySdk(path)) continue;
            File.Delete(path);
            Log.LogMessage(MessageImportance.Normal, $"Quetzal: deleted {path}");
        }
    }
}
