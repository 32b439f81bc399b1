using Quetzal.Sdk.Core;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;
using static Quetzal.Sdk.Validation.NetworkSyntax;
using static Quetzal.Sdk.Validation.NetworkValidator;

namespace Quetzal.Sdk.Validation;

/// <summary>Large files in parts: where to cut, reading the parts in parallel, and putting their findings together in file order.</summary>
internal static class NetworkPartition
{
    /// <summary>Cuts the file in up to <paramref name="count"/> parts, each starting where a feature object seems to start.</summary>
    internal static List<NetworkPart> Plan(FileRules rules, long length, int count)
    {
        var starts = new List<long>();
        try
        {
            using var stream = ModelFiles.OpenRead(rules.Path, 1);
            var window = new byte[1 << 20];
            for (var i = 1; i < count; i++)
            {
                var from = length * i / count;
                if (starts.Count > 0 && from <= starts[^1]) continue;
                stream.Position = from;
                var at = FeatureStart(window.AsSpan(0, Fill(stream, window, 0)));
                if (at >= 0) starts.Add(from + at);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var parts = new List<NetworkPart> { new NetworkPart(rules, Mode.Document, 0, starts.Count > 0 ? starts[0] : -1) };
        for (var i = 0; i < starts.Count; i++)
            parts.Add(new NetworkPart(rules, Mode.Features, starts[i], i + 1 < starts.Count ? starts[i + 1] : -1));
        return parts;
    }

    /// <summary>
    /// The first place in <paramref name="window"/> where one object of an array ends and the next begins
    /// (<c>}</c>, <c>,</c>, <c>{</c>, <c>"</c>, whitespace between): the offset of that <c>{</c>, or -1.
    /// </summary>
    internal static int FeatureStart(ReadOnlySpan<byte> window)
    {
        var i = 0;
        while (true)
        {
            var close = window[i..].IndexOf((byte)'}');
            if (close < 0) return -1;
            i += close + 1;
            var j = SkipSpace(window, i);
            if (j >= window.Length || window[j] != (byte)',') continue;
            j = SkipSpace(window, j + 1);
            if (j >= window.Length || window[j] != (byte)'{') continue;
            var brace = j;
            j = SkipSpace(window, j + 1);
            if (j < window.Length && window[j] == (byte)'"') return brace;
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> span, int i)
    {
        while (i < span.Length && span[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
        return i;
    }

    /// <summary>
    /// Reads the parts in parallel, then checks the chain: each part must have stopped exactly at the next one's cut,
    /// and the last at the end of the features array (or one of them at a real error, which ends the file there).
    /// Returns the parts to merge (with the tail of the document after the array), or null when a cut was wrong.
    /// </summary>
    internal static List<NetworkPart>? ReadInParts(FileRules rules, List<NetworkPart> parts, CancellationToken cancellation)
    {
        try
        {
            Parallel.ForEach(parts, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Environment.ProcessorCount },
                part => part.Scan(cancellation));
        }
        catch (AggregateException e) when (e.InnerExceptions.Any(x => x is OperationCanceledException))
        {
            cancellation.ThrowIfCancellationRequested();
            throw;
        }

        var read = new List<NetworkPart>();
        foreach (var part in parts)
        {
            read.Add(part);
            if (part.Outcome == Outcome.Failed) return read; // a real error: a sequential read stops there too
            var expected = read.Count == parts.Count ? Outcome.EndedFeatures : Outcome.ReachedStop;
            if (part.Outcome != expected) return null;
        }
        var tail = new NetworkPart(rules, Mode.Tail, read[^1].EndOffset, -1);
        tail.Scan(cancellation);
        read.Add(tail);
        return read;
    }

    /// <summary>Where a position counted from a part's start is in the file, given where the part starts.</summary>
    private static (int Line, int Column) Place((int Line, int Column) origin, (int Line, int Column) at)
        => at.Line <= 0 ? at : at.Line == 1 ? (origin.Line, origin.Column + at.Column - 1) : (origin.Line + at.Line - 1, at.Column);

    /// <summary>How many records ahead of the one added the merge asks for its slot (<see cref="NodeIndex.Prefetch"/>).</summary>
    private const int PrefetchDistance = 16;

    /// <summary>Puts the parts together in file order: positions, feature numbers, offenders, duplicates across parts.</summary>
    internal static NodeIndex? Merge(FileRules rules, List<NetworkPart> parts, DiagnosticBag bag)
    {
        var local = new DiagnosticBag();
        var origins = new (int Line, int Column)[parts.Count];
        var firstFeature = new int[parts.Count];
        (int Line, int Column) origin = (1, 1);
        var features = 0;
        var readable = true;
        for (var i = 0; i < parts.Count; i++)
        {
            origins[i] = origin;
            firstFeature[i] = features;
            foreach (var d in parts[i].Reported)
            {
                var (line, column) = Place(origin, (d.Line, d.Column));
                local.Add(d with { Line = line, Column = column });
            }
            features += parts[i].FeatureCount;
            if (parts[i].Outcome == Outcome.Failed)
            {
                readable = false;
                break;
            }
            if (i + 1 < parts.Count) origin = Place(origin, parts[i].EndAt);
        }

        var document = parts[0];
        if (readable)
        {
            var tail = parts.Count > 1 ? parts[^1] : null;
            var (rootType, rootTypeAt) = tail?.RootType is not null
                ? (tail.RootType, Place(origins[^1], tail.RootTypeAt))
                : (document.RootType, document.RootTypeAt);
            if (rootType != "FeatureCollection")
            {
                var (line, column) = rootType is null ? (1, 1) : rootTypeAt;
                local.Add(Codes.NotFeatureCollection, rules.Path, line, column,
                    rootType is null ? "it has no \"type\": \"FeatureCollection\"" : $"its type is '{rootType}'");
                readable = false;
            }
            else if (!document.SawFeatures && tail?.SawFeatures != true)
            {
                local.Add(Codes.NotFeatureCollection, rules.Path, 1, 1, "it has no 'features' array");
                readable = false;
            }
        }

        NodeIndex? index = null;
        if (readable)
        {
            index = IndexAll(parts, out var repeated);
            var duplicates = new Offenders();
            var listed = repeated.Take(ListedOffenders).ToList();
            var firsts = FirstHolders(parts, firstFeature, listed.Select(d => parts[d.Part].Indexes[d.Record].Hash).ToHashSet());
            foreach (var (part, record) in listed)
            {
                var held = parts[part].Indexes[record];
                var text = TokenText(rules.Path, held.Offset);
                var (line, column) = Place(origins[part], (held.Line, held.Column));
                var first = firsts[held.Hash];
                duplicates.Add(line, column, firstFeature[part] + held.Feature, n => $"Feature {n} has index '{text}', already used by feature {first}.");
            }
            for (var i = listed.Count; i < repeated.Count; i++) duplicates.CountOnly();
            foreach (var rule in FeatureRule.All)
            {
                Offenders.Flush(rule.Code, rules.Path, parts.Select(p => p.Offenders[rule.Slot]).ToList(),
                    (part, at) => Place(origins[part], at), (part, feature) => firstFeature[part] + feature, local);
                if (rule == FeatureRule.MissingIndex)
                    Offenders.Flush(Codes.DuplicateIndex, rules.Path, [duplicates], (_, at) => at, (_, feature) => feature, local);
            }
            for (var bit = 0; bit < 4; bit++)
            {
                var missing = parts.Sum(p => p.DisplayMissing[bit]);
                if (missing == 0) continue;
                var part = parts.FindIndex(p => p.DisplayMissing[bit] > 0);
                var attribute = ((Display)(1 << bit)).ToString().ToLowerInvariant();
                var nulls = parts.Sum(p => p.DisplayNull[bit]);
                var how = nulls == 0 ? "absent" : nulls == missing ? "null" : $"absent in {missing - nulls}, null in {nulls}";
                var (line, column) = Place(origins[part], parts[part].DisplayFirstAt[bit]);
                local.Add(Codes.MissingDisplayAttribute, rules.Path, line, column, missing, features, attribute, how, firstFeature[part] + parts[part].DisplayFirst[bit]);
            }
        }
        bag.AddRange(local.Items);
        return index;
    }

    /// <summary>
    /// The file's indexes in one <see cref="NodeIndex"/>, and each record whose index an earlier feature holds (part,
    /// record in the part), in file order. One thread: adding from several (a table per thread, split by hash) was
    /// measured slower, the threads waiting on memory together. A loop run once per file, so compiled optimised from
    /// the start rather than moved there mid-loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NodeIndex IndexAll(List<NetworkPart> parts, out List<(int Part, int Record)> repeated)
    {
        var index = new NodeIndex(parts.Sum(p => p.Indexes.Count));
        repeated = new();
        for (var i = 0; i < parts.Count; i++)
        {
            var records = CollectionsMarshal.AsSpan(parts[i].Indexes);
            for (var r = 0; r < records.Length; r++)
            {
                if (r + PrefetchDistance < records.Length) index.Prefetch(records[r + PrefetchDistance].Hash);
                if (!index.Add(records[r].Hash)) repeated.Add((i, r));
            }
        }
        return index;
    }

    /// <summary>
    /// The feature (numbered in the file) that first holds each of <paramref name="hashes"/>: the earlier feature a
    /// duplicate's message names. The index keeps no feature numbers (a second cache miss per index added), so the
    /// records are read again, in order, for the few duplicates listed.
    /// </summary>
    private static Dictionary<ulong, int> FirstHolders(List<NetworkPart> parts, int[] firstFeature, HashSet<ulong> hashes)
    {
        var firsts = new Dictionary<ulong, int>();
        for (var i = 0; i < parts.Count && firsts.Count < hashes.Count; i++)
            foreach (var record in parts[i].Indexes)
                if (hashes.Contains(record.Hash)) firsts.TryAdd(record.Hash, firstFeature[i] + record.Feature);
        return firsts;
    }

    /// <summary>The text of the string or number at <paramref name="offset"/>, read again for a message (duplicates are rare).</summary>
    private static string TokenText(string path, long offset)
    {
        try
        {
            using var stream = ModelFiles.OpenRead(path, 1);
            stream.Position = offset;
            var buffer = new byte[64 << 10];
            var reader = new Utf8JsonReader(buffer.AsSpan(0, Fill(stream, buffer, 0)), isFinalBlock: false, default);
            if (reader.Read())
                return reader.TokenType == JsonTokenType.String ? reader.GetString()! : Encoding.UTF8.GetString(reader.ValueSpan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
        }
        return "(unreadable)";
    }
}
