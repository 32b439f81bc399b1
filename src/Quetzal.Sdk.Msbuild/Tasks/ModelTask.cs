using Microsoft.Build.Framework;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>A task that works on the model the build resolved (obj/quetzal/model.json, see <see cref="ResolvedModel"/>).</summary>
public abstract class ModelTask : QuetzalTask
{
    /// <summary>The resolved model's document (QuetzalResolveModel writes it).</summary>
    [Required] public string ModelFile { get; set; } = "";

    private ResolvedModel? _model;

    /// <summary>The resolved model, read on first use (a read the task's record keeps, when it has one).</summary>
    protected ResolvedModel Resolved => _model ??= ResolvedModel.Read(ModelFile);
}
