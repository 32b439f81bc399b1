using System.Reflection;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Severity = Quetzal.Sdk.Diagnostics.Severity;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace Quetzal.Sdk.Tasks;

/// <summary>
/// The base of every Quetzal task: it turns diagnostics into MSBuild errors with file, line, column and code, and
/// makes sure nothing ends in MSBuild's "task failed unexpectedly": an unforeseen exception becomes QTZ9001, with
/// the stack trace at low importance only.
/// </summary>
public abstract class QuetzalTask : MSBuildTask, ICancelableTask, IPublishLog
{
    private readonly CancellationTokenSource _cancellation = new();

    protected CancellationToken Cancellation => _cancellation.Token;

    public static string SdkVersion { get; } =
        typeof(QuetzalTask).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public void Cancel() => _cancellation.Cancel();

    /// <summary>
    /// The error boundary of every task: the only place where exceptions become messages (see <see cref="Failures"/>).
    /// Tasks implement <see cref="ExecuteCore"/> and catch nothing themselves.
    /// </summary>
    public sealed override bool Execute()
    {
        var failed = false;
        try
        {
            ExecuteCore();
        }
        catch (Exception e)
        {
            failed = true;
            var diagnostics = Failures.Describe(e, GetType().Name, _cancellation.IsCancellationRequested);
            Report(diagnostics);
            if (Failures.IsBug(diagnostics)) Log.LogMessage(MessageImportance.Low, e.ToString());
        }
        Completed(failed || Log.HasLoggedErrors);
        return !Log.HasLoggedErrors;
    }

    /// <summary>Called once the task's errors, if any, are logged: for a closing summary.</summary>
    protected virtual void Completed(bool failed)
    {
    }

    protected abstract void ExecuteCore();

    protected void Report(Diagnostic d)
    {
        switch (d.Severity)
        {
            case Severity.Error:
                Log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
                break;
            case Severity.Warning:
                Log.LogWarning(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
                break;
            default:
                Log.LogMessage(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, MessageImportance.Normal, d.Message);
                break;
        }
    }

    protected void Report(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var d in diagnostics) Report(d);
    }

    protected static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // The plain C# layers report through IPublishLog: what a user reads shows at the default verbosity.
    public void Info(string message) => Log.LogMessage(MessageImportance.High, message);
    public void Detail(string message) => Log.LogMessage(MessageImportance.Low, message);
    public void Warning(Diagnostic diagnostic) => Report(diagnostic);
}
