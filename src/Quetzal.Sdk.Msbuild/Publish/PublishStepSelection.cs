using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// Which steps a publish runs: all of them, the ones QuetzalPublishSteps names, or the one of a step target
/// (QuetzalPublishImage, ...). Several step targets on one command line each run; one that the pipeline puts before a
/// step already run in the same build runs that step again after it, so the deployment ends as the pipeline's order
/// leaves it (a state machine updated before its Lambda is updated once more).
/// </summary>
public static class PublishStepSelection
{
    /// <summary>The pipeline's order (see <see cref="PublishPipeline"/>).</summary>
    public static readonly IReadOnlyList<PublishSteps> Order = [PublishSteps.Image, PublishSteps.Lambda, PublishSteps.TaskDefinition, PublishSteps.StateMachine, PublishSteps.Scenarios];

    /// <summary>Step names separated by ';' or ','; empty: <paramref name="empty"/>. An unknown name is QTZ1011, with the nearest one.</summary>
    public static PublishSteps Parse(string? text, PublishSteps empty, string? projectFile)
    {
        var names = Model.Scenarios.SplitList(text);
        if (names.Count == 0) return empty;
        var steps = PublishSteps.None;
        var errors = new List<Diagnostic>();
        foreach (var name in names)
        {
            var step = Order.FirstOrDefault(s => string.Equals(s.ToString(), name, StringComparison.OrdinalIgnoreCase));
            if (step == PublishSteps.None)
            {
                var nearest = Validation.Suggestions.Nearest(name, Order.Select(s => s.ToString()));
                errors.Add(Codes.UnknownPublishStep.Create(projectFile, name, string.Join(", ", Order), nearest is null ? "" : $" Did you mean '{nearest}'?"));
            }
            steps |= step;
        }
        if (errors.Count > 0) throw new QuetzalException(errors);
        return steps;
    }

    /// <summary>The steps a step target runs: its own, and those run before it in this build that the pipeline puts after it.</summary>
    public static PublishSteps Compose(PublishSteps own, PublishSteps ranBefore)
    {
        var last = Order.Select((step, i) => (step, i)).Where(s => own.HasFlag(s.step)).Select(s => s.i).DefaultIfEmpty(-1).Max();
        var later = Order.Skip(last + 1).Aggregate(PublishSteps.None, (all, s) => all | s);
        return own | (ranBefore & later);
    }

    public static string Names(PublishSteps steps) => string.Join(", ", Order.Where(s => steps.HasFlag(s)));
}
