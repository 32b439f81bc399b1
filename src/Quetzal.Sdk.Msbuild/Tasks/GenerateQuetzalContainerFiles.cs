using Quetzal.Sdk.Core;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes the model's Dockerfile and .dockerignore, leaving alone any the user took over.</summary>
public sealed class GenerateQuetzalContainerFiles : QuetzalTask
{
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string BaseImage { get; set; } = "";
    public string? LibraryPath { get; set; }

    /// <summary>Where the run is recorded (<see cref="Core.ReadRecord"/>): it runs again when a setting, requirements.txt's presence, the SDK or a written file changed.</summary>
    public string? RecordFile { get; set; }

    protected override string? ReadRecordFile => RecordFile;

    protected override void ExecuteCore()
    {
        var settings = new ContainerSettings
        {
            SdkVersion = SdkVersion,
            BaseImage = BaseImage,
            HasRequirements = Core.ModelFiles.Exists(Path.Combine(ModelDirectory, "requirements.txt")),
            HasLibrary = !string.IsNullOrWhiteSpace(LibraryPath),
        };
        Write("Dockerfile", ContainerFiles.Dockerfile(settings));
        Write(".dockerignore", ContainerFiles.DockerIgnore(settings));
    }

    private void Write(string name, string content)
    {
        var path = Path.Combine(ModelDirectory, name);
        if (!GeneratedFiles.IsOwnedBySdk(path))
        {
            Report(Codes.UserOwnedFile.Create(path, path));
            return;
        }
        GeneratedFiles.WriteIfChanged(path, content);
        // Its own output too: a file deleted, edited or taken over by the user is looked at again.
        Core.ModelFiles.Read(path);
        Log.LogMessage(MessageImportance.Normal, $"Quetzal: generated {path}");
    }
}
