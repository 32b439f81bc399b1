using System.IO.Hashing;
using System.Text;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// The indexes of a network file's features, kept as 64-bit hashes of their text (strings unescaped, numbers as
/// written, so 7 and "7" are the same node, as pandas reads them). A million indexes take a few tens of MB instead
/// of a string each; two different indexes share a hash with a probability of about 10^-8 in a 10^6-feature file.
/// </summary>
public sealed class NodeIndex
{
    private readonly Dictionary<ulong, int> _features = new();

    public int Count => _features.Count;

    public static ulong Hash(ReadOnlySpan<byte> utf8) => XxHash64.HashToUInt64(utf8);

    /// <summary>Adds an index; returns the feature that already had it, or 0.</summary>
    public int Add(ulong hash, int feature) => _features.TryAdd(hash, feature) ? 0 : _features[hash];

    public bool Contains(ulong hash) => _features.ContainsKey(hash);

    public bool Contains(string index) => Contains(Hash(Encoding.UTF8.GetBytes(index)));
}
