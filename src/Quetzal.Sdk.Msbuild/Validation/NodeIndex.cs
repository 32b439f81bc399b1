using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// The indexes of a network file's features, kept as 64-bit hashes of their text (strings unescaped, numbers as
/// written, so 7 and "7" are the same node, as pandas reads them). A million indexes take 16 MB instead of a string
/// each; two different indexes share a hash with a probability of about 10^-8 in a 10^6-feature file. The table keeps
/// no feature numbers (they would be a second cache miss per index added): a duplicate's earlier holder is looked up
/// when one is reported.
/// An open-addressing table (one array of keys, probed linearly): a lookup is one cache miss, where a
/// Dictionary takes two; links look up two nodes each, so this is on the hot path of validation.
/// </summary>
public sealed class NodeIndex
{
    private const ulong Empty = 0;
    private ulong[] _keys;
    private int _mask;

    public NodeIndex(int capacity = 0)
    {
        // At most two thirds full once the expected indexes are in (half full, on average, after rounding up to a power
        // of two): half the memory of a table kept at most half full, so that more of the lookups find it in a cache.
        var size = 16;
        while (size < capacity * 3L / 2 && size < 1 << 30) size <<= 1;
        _keys = new ulong[size];
        _mask = size - 1;
    }

    public int Count { get; private set; }

    public static ulong Hash(ReadOnlySpan<byte> utf8) => XxHash3.HashToUInt64(utf8);

    /// <summary>Adds an index; returns false when it was there already.</summary>
    public bool Add(ulong hash)
    {
        var key = Key(hash);
        if (Count * 4L >= _keys.Length * 3L) Grow();
        var slot = (int)key & _mask;
        while (true)
        {
            var found = _keys[slot];
            if (found == Empty)
            {
                _keys[slot] = key;
                Count++;
                return true;
            }
            if (found == key) return false;
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>
    /// Asks the processor to bring the slot a lookup of <paramref name="hash"/> starts at into its cache, so that the
    /// lookup made a little later (at the feature's end, or records later in a merge) finds it there instead of
    /// waiting for memory: the table outgrows the caches, and every lookup lands somewhere else in it. A hint only:
    /// it never faults, and does nothing where the processor has no such instruction exposed to .NET.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(ulong hash)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref _keys[(int)Key(hash) & _mask]));
    }

    public bool Contains(ulong hash)
    {
        var key = Key(hash);
        var slot = (int)key & _mask;
        while (true)
        {
            var found = _keys[slot];
            if (found == key) return true;
            if (found == Empty) return false;
            slot = (slot + 1) & _mask;
        }
    }

    public bool Contains(string index) => Contains(Hash(Encoding.UTF8.GetBytes(index)));

    // Zero marks an empty slot: the one hash equal to it shares a key with another (one chance in 2^64).
    private static ulong Key(ulong hash) => hash == Empty ? 0x9E3779B97F4A7C15UL : hash;

    private void Grow()
    {
        var keys = _keys;
        _keys = new ulong[keys.Length * 2];
        _mask = _keys.Length - 1;
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] == Empty) continue;
            var slot = (int)keys[i] & _mask;
            while (_keys[slot] != Empty) slot = (slot + 1) & _mask;
            _keys[slot] = keys[i];
        }
    }
}
