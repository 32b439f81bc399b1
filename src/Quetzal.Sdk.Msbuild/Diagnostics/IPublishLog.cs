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

/// <summary>
/// A user-facing failure with its code (or several, when a plan finds several problems at once); the error boundary
/// (<see cref="Failures"/>) turns it into MSBuild errors.
/// </summary>
public sealed class QuetzalException : Exception
{
    public QuetzalException(Diagnostic diagnostic, Exception? inner = null) : this([diagnostic], inner) { }

    public QuetzalException(DiagnosticDescriptor descriptor, params object?[] args) : this(descriptor.Create(null, args)) { }

    public QuetzalException(IReadOnlyList<Diagnostic> diagnostics, Exception? inner = null)
        : base(string.Join(Environment.NewLine, diagnostics.Select(d => d.Message)), inner)
    {
        if (diagnostics.Count == 0) throw new ArgumentException("A QuetzalException needs at least one diagnostic.", nameof(diagnostics));
        Diagnostics = diagnostics;
    }

    /// <summary>The first (or only) diagnostic.</summary>
    public Diagnostic Diagnostic => Diagnostics[0];

    public IReadOnlyList<Diagnostic> Diagnostics { get; }
}
