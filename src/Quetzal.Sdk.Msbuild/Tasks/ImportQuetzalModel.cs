using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Import;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelImport"/>: a model of the original layout into this (scaffolded) model folder.</summary>
public sealed class ImportQuetzalModel : ModelTask
{
    /// <summary>QuetzalImportFrom: the old model's folder.</summary>
    public string? From { get; set; }
    /// <summary>QuetzalImportTfvars: the old infra's tfvars of the model, for its limits.</summary>
    public string? TfvarsFile { get; set; }

    protected override void ExecuteCore()
    {
        var model = Resolved;
        if (NullIfEmpty(From) is not { } from)
        {
            Report(Codes.ImportSourceMissing.Create(model.ProjectFile, "(empty): -p:QuetzalImportFrom=<old model folder>"));
            return;
        }
        var tfvars = NullIfEmpty(TfvarsFile) is { } file ? Path.GetFullPath(file) : null;
        if (tfvars is not null && !File.Exists(tfvars)) throw new QuetzalException(Codes.ImportSourceMissing.Create(model.ProjectFile, tfvars));
        Report(ModelImport.Run(new ImportRequest(from, model.ModelDirectory, model.ProjectFile, tfvars, model.ModelName, model.Region,
            SettingLimit.LambdaMemory.Parse(model.MemorySize, model.ProjectFile), SettingLimit.LambdaTimeout.Parse(model.Timeout, model.ProjectFile),
            SettingLimit.LambdaStorage.Parse(model.StorageSize, model.ProjectFile), model.BaseImage, model.LibraryPath), this));
        Info("Quetzal: import done; build to check the model (dotnet build).");
    }
}
