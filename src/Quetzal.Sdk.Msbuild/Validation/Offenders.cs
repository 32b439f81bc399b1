using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// Keeps the first few breaches of one rule in one part of a file and counts the rest, so a broken 10^6-link file
/// gives a readable error list: the first offenders with their positions, then one line with the count.
/// Positions and feature numbers are those of the part; <see cref="Flush"/> turns them into the file's.
/// </summary>
internal sealed class Offenders(int listed = NetworkValidator.ListedOffenders)
{
    /// <summary>A breach: where, which feature, and its message given the feature's number in the file.</summary>
    public readonly record struct Entry(int Line, int Column, int Feature, Func<int, string> Message);

    private readonly List<Entry> _first = new();

    public int Count { get; private set; }

    /// <summary>Whether the next breach will be listed (callers skip building what would not be).</summary>
    public bool Listing => _first.Count < listed;

    public void Add(int line, int column, int feature, Func<int, string> message)
    {
        Count++;
        if (_first.Count < listed) _first.Add(new(line, column, feature, message));
    }

    /// <summary>Counts a breach that will not be listed.</summary>
    public void CountOnly() => Count++;

    /// <summary>
    /// Reports the breaches of the parts of one file, in file order: the first <c>listed</c> with their positions,
    /// then the count of the rest. <paramref name="place"/> maps a part's position and feature to the file's.
    /// </summary>
    public static void Flush(DiagnosticDescriptor rule, string file, IReadOnlyList<Offenders> parts,
        Func<int, (int Line, int Column), (int Line, int Column)> place, Func<int, int, int> feature, DiagnosticBag bag, int listed = NetworkValidator.ListedOffenders)
    {
        var shown = 0;
        var count = 0;
        for (var part = 0; part < parts.Count; part++)
        {
            count += parts[part].Count;
            foreach (var entry in parts[part]._first)
            {
                if (shown == listed) break;
                var (line, column) = place(part, (entry.Line, entry.Column));
                bag.Add(rule.Create(file, line, column, entry.Message(feature(part, entry.Feature))));
                shown++;
            }
        }
        if (count > shown) bag.Add(Codes.MoreOffenders, file, 0, 0, count, rule.Code, shown);
    }
}
