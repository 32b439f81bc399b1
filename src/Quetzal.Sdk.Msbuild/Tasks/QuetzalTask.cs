using System.Reflection;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Core;
using Quetzal.Sdk.Boundary;
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
        var recordFile = NullIfEmpty(ReadRecordFile);
        var why = recordFile is null ? null : Checked(() => ReadRecord.Changed(recordFile, Settings()), "its record could not be checked");
        if (recordFile is not null && why is null)
        {
            var kept = KeptDiagnostics.Read(KeptFile(recordFile));
            Log.LogMessage(MessageImportance.Normal, $"Quetzal: {GetType().Name} is up to date: nothing it read changed since its last run.");
            UpToDate(kept.Count);
            Report(kept);
            Completed(false);
            return true;
        }
        using var recording = recordFile is null ? null : ReadRecord.Begin();
        if (recording is not null) _reported = [];
        var failed = false;
        try
        {
            if (recordFile is not null) Log.LogMessage(MessageImportance.Normal, $"Quetzal: {GetType().Name} runs: {why}.");
            ExecuteCore();
        }
        catch (Exception e)
        {
            failed = true;
            var diagnostics = Failures.Describe(e, GetType().Name, _cancellation.IsCancellationRequested);
            Report(diagnostics);
            if (Failures.IsBug(diagnostics)) Log.LogMessage(MessageImportance.Low, e.ToString());
        }
        if (recording is not null)
        {
            // A run that failed is not remembered: the next build runs it again and reports the same errors.
            if (failed || Log.HasLoggedErrors) ReadRecord.Forget(recordFile!);
            else
            {
                // A record that cannot be written only costs the next build a run.
                var saved = Checked(() =>
                {
                    KeptDiagnostics.Write(KeptFile(recordFile!), _reported!);
                    recording.Record.Save(recordFile!, Settings());
                    return "saved";
                }, null);
                if (saved is null) ReadRecord.Forget(recordFile!);
            }
        }
        Completed(failed || Log.HasLoggedErrors);
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// Where a task that may be skipped keeps the record of what it read (<see cref="ReadRecord"/>): it runs again only
    /// when one of its parameters, the SDK, or anything it read through <see cref="ModelFiles"/> changed. Null: it
    /// always runs. This is the build's whole incrementality: no target lists its inputs by hand.
    /// </summary>
    protected virtual string? ReadRecordFile => null;

    /// <summary>
    /// Called instead of <see cref="ExecuteCore"/> when nothing the task read changed since its last run, before the
    /// <paramref name="kept"/> warnings and messages of that run are reported again.
    /// </summary>
    protected virtual void UpToDate(int kept)
    {
    }

    /// <summary>The record's own I/O never fails a build: a record that cannot be read or written means "run".</summary>
    private static string? Checked(Func<string?> action, string? onFailure)
    {
        try { return action(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { return onFailure; }
    }

    private static string KeptFile(string recordFile) => recordFile + ".diagnostics";

    /// <summary>What this run reported, while it is recorded: kept for the builds that skip it.</summary>
    private List<Diagnostic>? _reported;

    /// <summary>The task's parameters as text, every one of them: a changed parameter is a changed setting.</summary>
    private string Settings()
        => string.Join("\n", GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.DeclaringType is { } t && t != typeof(QuetzalTask) && typeof(QuetzalTask).IsAssignableFrom(t))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Text(p.GetValue(this))}"));

    private static string Text(object? value) => value switch
    {
        ITaskItem[] items => string.Join("\u001e", items.Select(Text)),
        ITaskItem item => item.ItemSpec + string.Concat(item.CloneCustomMetadata().Keys.Cast<string>()
            .Order(StringComparer.Ordinal).Select(name => $"\u001f{name}={item.GetMetadata(name)}")),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Called once the task's errors, if any, are logged: for a closing summary.</summary>
    protected virtual void Completed(bool failed)
    {
    }

    protected abstract void ExecuteCore();

    /// <summary>
    /// Where a diagnostic that names no file is located: the model's project. MSBuild would put it at the task's element
    /// in the SDK's targets inside the NuGet cache, and an IDE would open the SDK's file.
    /// </summary>
    protected virtual string? DefaultFile => null;

    protected void Report(Diagnostic d)
    {
        if (d.File is null && DefaultFile is { } project) d = d with { File = project, Line = 0, Column = 0 };
        if (d.Severity != Severity.Error) lock (_cancellation) _reported?.Add(d);
        switch (d.Severity)
        {
            // The help link opens the code's heading in the error-code reference (an IDE's error list links the code to it).
            case Severity.Error:
                Log.LogError(null, d.Code, d.Code, HelpLinks.For(d.Code), d.File, d.Line, d.Column, 0, 0, d.Message);
                break;
            case Severity.Warning:
                Log.LogWarning(null, d.Code, d.Code, HelpLinks.For(d.Code), d.File, d.Line, d.Column, 0, 0, d.Message);
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
