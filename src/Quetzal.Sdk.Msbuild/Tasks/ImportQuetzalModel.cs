using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Import;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelImport"/>: a model of the original layout into this (scaffolded) model folder.</summary>
public sealed class ImportQuetzalModel : QuetzalTask
{
    public string? From { get; set; }
    public string? TfvarsFile { get; set; }
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string Region { get; set; } = "";
    [Required] public int MemorySize { get; set; }
    [Required] public int Timeout { get; set; }
    [Required] public int StorageSize { get; set; }
    [Required] public string BaseImage { get; set; } = "";

    protected override void ExecuteCore()
    {
        if (NullIfEmpty(From) is not { } from)
        {
            Report(Codes.ImportSourceMissing.Create(ProjectFile, "(empty): -p:QuetzalImportFrom=<old model folder>"));
            return;
        }
        var tfvars = NullIfEmpty(TfvarsFile) is { } file ? Path.GetFullPath(file) : null;
        if (tfvars is not null && !File.Exists(tfvars)) throw new QuetzalException(Codes.ImportSourceMissing.Create(ProjectFile, tfvars));
        Report(ModelImport.Run(new ImportRequest(from, ModelDirectory, ProjectFile, tfvars, ModelName, Region, MemorySize, Timeout, StorageSize, BaseImage), this));
        Info("Quetzal: import done; build to check the model (dotnet build).");
    }
}
