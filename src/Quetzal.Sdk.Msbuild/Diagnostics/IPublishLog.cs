namespace Quetzal.Sdk.Diagnostics;

/// <summary>How the plain C# layers report progress; the MSBuild tasks adapt it to the build log.</summary>
public interface IPublishLog
{
    /// <summary>What a user reads at normal verbosity: one line per thing done.</summary>
    void Info(string message);

    /// <summary>Details for -v:detailed and binary logs (never secrets).</summary>
    void Detail(string message);

    void Warning(Diagnostic diagnostic);
}

public sealed class NullPublishLog : IPublishLog
{
    public static readonly NullPublishLog Instance = new();
    public void Info(string message) { }
    public void Detail(string message) { }
    public void Warning(Diagnostic diagnostic) { }
}

/// <summary>A user-facing failure with its code; the task boundary turns it into an MSBuild error.</summary>
public sealed class QuetzalException(Diagnostic diagnostic, Exception? inner = null) : Exception(diagnostic.Message, inner)
{
    public Diagnostic Diagnostic { get; } = diagnostic;

    public QuetzalException(DiagnosticDescriptor descriptor, params object?[] args) : this(descriptor.Create(null, args)) { }
}
