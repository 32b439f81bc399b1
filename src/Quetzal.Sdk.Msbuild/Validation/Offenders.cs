using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// Keeps the first few breaches of one rule in one file and counts the rest, so a broken 10^6-link file
/// gives a readable error list: the first offenders with their positions, then one line with the count.
/// </summary>
internal sealed class Offenders(DiagnosticDescriptor rule, string file, int listed = NetworkValidator.ListedOffenders)
{
    private readonly List<Diagnostic> _first = new();

    public int Count { get; private set; }

    public void Add(int line, int column, string message)
    {
        Count++;
        if (_first.Count < listed) _first.Add(rule.Create(file, line, column, message));
    }

    public void Flush(DiagnosticBag bag)
    {
        bag.AddRange(_first);
        if (Count > _first.Count)
            bag.Add(Codes.MoreOffenders, file, 0, 0, Count, rule.Code, _first.Count);
    }
}
