using System.Globalization;

namespace Quetzal.Sdk.Diagnostics;

/// <summary>A code, its severity and its message format. Every instance lives in <see cref="Codes"/>.</summary>
public sealed record DiagnosticDescriptor(string Code, Severity Severity, string Format, string Summary)
{
    public Diagnostic Create(string? file, int line, int column, params object?[] args)
        => new(this, string.Format(CultureInfo.InvariantCulture, Format, args), file, line, column);

    public Diagnostic Create(string? file, params object?[] args) => Create(file, 0, 0, args);
}
