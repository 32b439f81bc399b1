using Microsoft.Build.Framework;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes the workflow of a model declared with QuetzalStep items (see <see cref="LinearWorkflow"/>) where the model resolved it.</summary>
public sealed class GenerateQuetzalWorkflow : ModelTask
{
    /// <summary>Where the run is recorded (<see cref="Core.ReadRecord"/>): it runs again when a step, the SDK or the written workflow changed.</summary>
    public string? RecordFile { get; set; }

    protected override string? ReadRecordFile => RecordFile;

    protected override void ExecuteCore()
    {
        var model = Resolved;
        var file = model.GeneratedStateMachineFile;
        LinearWorkflow.Write(model.Steps, file);
        // Its own output too: a workflow deleted or edited by hand is written again.
        Core.ModelFiles.Read(file);
        Log.LogMessage(MessageImportance.Normal, $"Quetzal: generated {file}");
    }
}
