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

    protected override void ExecuteCore()
    {
        var settings = new ContainerSettings
        {
            SdkVersion = SdkVersion,
            BaseImage = BaseImage,
            HasRequirements = File.Exists(Path.Combine(ModelDirectory, "requirements.txt")),
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
        // Touch it even when unchanged: the file is this target's output, and MSBuild compares its time to the inputs'.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        Log.LogMessage(MessageImportance.Normal, $"Quetzal: generated {path}");
    }
}
