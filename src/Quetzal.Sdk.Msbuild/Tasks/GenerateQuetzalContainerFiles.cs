using Quetzal.Sdk.Core;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes the model's Dockerfile and .dockerignore, leaving alone any the user took over.</summary>
public sealed class GenerateQuetzalContainerFiles : ModelTask
{
    /// <summary>Where the run is recorded (<see cref="Core.ReadRecord"/>): it runs again when a setting, requirements.txt's presence, the SDK or a written file changed.</summary>
    public string? RecordFile { get; set; }

    protected override string? ReadRecordFile => RecordFile;

    protected override void ExecuteCore()
    {
        var model = Resolved;
        var problems = new List<Diagnostic>();
        var additions = ImageAdditions.Parse(model.SystemPackages, model.ImageEnvironment, model.ProjectFile, problems);
        if (problems.Count > 0)
        {
            // The Dockerfile stays as it was: what it would hold is refused.
            Report(problems);
            return;
        }
        var settings = new ContainerSettings
        {
            SdkVersion = SdkVersion,
            BaseImage = model.BaseImage,
            HasRequirements = ModelFiles.Exists(Path.Combine(model.ModelDirectory, "requirements.txt")),
            HasLibrary = model.LibraryPath is not null,
            Additions = additions,
        };
        Write(model.ModelDirectory, "Dockerfile", ContainerFiles.Dockerfile(settings));
        var dockerfile = Path.Combine(model.ModelDirectory, "Dockerfile");
        if (!additions.IsEmpty && !GeneratedFiles.IsOwnedBySdk(dockerfile))
        {
            var set = string.Join(" and ", new[] { (additions.SystemPackages.Count > 0, "QuetzalSystemPackages"), (additions.Environment.Count > 0, "QuetzalImageEnvironment") }.Where(s => s.Item1).Select(s => s.Item2));
            Report(Codes.AdditionsNotInOwnDockerfile.Create(dockerfile, set, dockerfile));
        }
        Write(model.ModelDirectory, ".dockerignore", ContainerFiles.DockerIgnore(settings));
    }

    private void Write(string modelDirectory, string name, string content)
    {
        var path = Path.Combine(modelDirectory, name);
        if (!GeneratedFiles.IsOwnedBySdk(path))
        {
            Report(Codes.UserOwnedFile.Create(path, path));
            return;
        }
        GeneratedFiles.WriteIfChanged(path, content);
        // Its own output too: a file deleted, edited or taken over by the user is looked at again.
        ModelFiles.Read(path);
        Log.LogMessage(MessageImportance.Normal, $"Quetzal: generated {path}");
    }
}
