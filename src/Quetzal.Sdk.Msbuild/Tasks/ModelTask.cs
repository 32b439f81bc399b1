using Microsoft.Build.Framework;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>
/// A task that works on the model the build resolved (<see cref="ResolvedModel"/>). It gets the document's text from
/// QuetzalResolveModel in the same build, not from the file: two builds of one folder at once with different
/// properties (two admins granting access) each work on their own model, never on the one the other just wrote.
/// </summary>
public abstract class ModelTask : QuetzalTask
{
    /// <summary>The resolved model, as QuetzalResolveModel wrote it (its Document output).</summary>
    [Required] public string ModelDocument { get; set; } = "";

    /// <summary>Where the document is written (obj/quetzal/model.json): named when it cannot be read.</summary>
    [Required] public string ModelFile { get; set; } = "";

    private ResolvedModel? _model;

    protected ResolvedModel Resolved => _model ??= ResolvedModel.Parse(ModelDocument, ModelFile);

    protected override string? DefaultFile
    {
        get
        {
            try { return Resolved.ProjectFile; }
            catch (Diagnostics.QuetzalException) { return null; }
        }
    }
}
