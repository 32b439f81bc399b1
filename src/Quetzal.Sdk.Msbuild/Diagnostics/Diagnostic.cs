namespace Quetzal.Sdk.Diagnostics;

public enum Severity
{
    Message,
    Warning,
    Error,
}

/// <summary>One finding about the model, located in a file when there is one (line and column are 1-based, 0 = unknown).</summary>
public sealed record Diagnostic(DiagnosticDescriptor Descriptor, string Message, string? File = null, int Line = 0, int Column = 0)
{
    public string Code => Descriptor.Code;
    public Severity Severity => Descriptor.Severity;

    public override string ToString()
    {
        var where = File is null ? "" : Line > 0 ? $"{File}({Line},{Column}): " : $"{File}: ";
        return $"{where}{Severity.ToString().ToLowerInvariant()} {Code}: {Message}";
    }
}

/// <summary>Collects diagnostics from validators that may run in parallel.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = new();

    public void Add(Diagnostic diagnostic)
    {
        lock (_items) _items.Add(diagnostic);
    }

    public void Add(DiagnosticDescriptor descriptor, string? file, int line, int column, params object?[] args)
        => Add(descriptor.Create(file, line, column, args));

    public void AddRange(IEnumerable<Diagnostic> diagnostics)
    {
        lock (_items) _items.AddRange(diagnostics);
    }

    public IReadOnlyList<Diagnostic> Items
    {
        get { lock (_items) return _items.ToArray(); }
    }

    public bool HasErrors
    {
        get { lock (_items) return _items.Exists(d => d.Severity == Severity.Error); }
    }
}
