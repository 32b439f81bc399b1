using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

public enum NetworkLayer { Nodes, Links }

/// <summary>
/// Validates one GeoJSON network file as quetzal and Quenedi write them, streaming: tokens are read from a buffer
/// refilled from disk, so memory holds the buffers and the indexes, never the file. Nodes are read first; their
/// indexes are what the links of the same network may name.
/// <para>
/// A large file is read in parts, one per core. The features array is cut where one feature object ends and the
/// next begins (a guess made from the bytes); each part is read from its cut as if it opened the array, and is kept
/// only if the part before it arrived exactly at that cut as a feature. A wrong guess (the cut fell inside a string)
/// costs one sequential read, never a wrong answer. Positions and feature numbers are counted within each part, and
/// made the file's when the parts are put together in order; duplicate indexes are found then, across the whole file.
/// </para>
/// </summary>
public static class NetworkValidator
{
    public const int ListedOffenders = 5;
    internal static int InitialBufferSize = 1 << 20;
    internal const int MaxTokenBytes = 64 << 20;

    /// <summary>The least a part of a file read in parallel holds: smaller files are read in one pass.</summary>
    internal const long MinPartBytes = 16L << 20;

    private const int MaxDepth = 64;

    // The rules whose offenders are counted per feature, in the order they are reported (duplicates follow MissingIndex).
    private const int WrongGeometry = 0, BadCoordinates = 1, MissingIndex = 2, MissingEndpoint = 3, DanglingEndpoint = 4, MissingPt = 5;

    private static readonly DiagnosticDescriptor[] Rules =
        [Codes.WrongGeometry, Codes.InvalidCoordinates, Codes.MissingIndex, Codes.MissingEndpoint, Codes.DanglingEndpoint, Codes.MissingPtAttribute];

    /// <summary>CRS names that mean longitude/latitude in degrees (what RFC 7946 and Quenedi expect).</summary>
    private static readonly string[] GeographicCrs =
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
        "EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ];

    /// <summary>Validates a nodes file; returns its indexes (feature number by index) when the file could be read to the end.</summary>
    public static NodeIndex? ValidateNodes(string path, bool isPt, DiagnosticBag bag, CancellationToken cancellation = default)
        => Validate(new(path, NetworkLayer.Nodes, isPt, null, null), bag, null, cancellation);

    /// <summary>Validates a links file; <paramref name="nodes"/> (null when the nodes could not be read) are what a and b may name.</summary>
    public static bool ValidateLinks(string path, bool isPt, NodeIndex? nodes, string nodesFile, DiagnosticBag bag, CancellationToken cancellation = default)
        => Validate(new(path, NetworkLayer.Links, isPt, nodes, nodesFile), bag, null, cancellation) is not null;

    internal sealed record FileRules(string Path, NetworkLayer Layer, bool IsPt, NodeIndex? Nodes, string? NodesFile)
    {
        public string Noun { get; } = Layer == NetworkLayer.Nodes ? "node" : "link";
        public string Expected { get; } = Layer == NetworkLayer.Nodes ? "Point" : "LineString";
    }

    /// <summary>
    /// Validates a file; returns its indexes when it could be read to the end, else null.
    /// <paramref name="parts"/>: how many parts to read in parallel (null: one per core, for files of at least
    /// <see cref="MinPartBytes"/> a part). Tests set it to prove that any cut gives the answer of one sequential read.
    /// </summary>
    internal static NodeIndex? Validate(FileRules rules, DiagnosticBag bag, int? parts, CancellationToken cancellation)
    {
        long length;
        try
        {
            length = new FileInfo(rules.Path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            length = 0; // the sequential read reports it
        }
        var count = parts ?? (int)Math.Clamp(length / MinPartBytes, 1, Environment.ProcessorCount);
        if (count > 1)
        {
            var plan = Plan(rules, length, count);
            if (plan.Count > 1 && ReadInParts(rules, plan, cancellation) is { } read)
                return Merge(rules, read, bag);
        }
        var whole = new Part(rules, Mode.Document, 0, -1);
        whole.Scan(cancellation);
        return Merge(rules, [whole], bag);
    }

    /// <summary>Cuts the file in up to <paramref name="count"/> parts, each starting where a feature object seems to start.</summary>
    private static List<Part> Plan(FileRules rules, long length, int count)
    {
        var starts = new List<long>();
        try
        {
            using var stream = new FileStream(rules.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
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
        var parts = new List<Part> { new(rules, Mode.Document, 0, starts.Count > 0 ? starts[0] : -1) };
        for (var i = 0; i < starts.Count; i++)
            parts.Add(new(rules, Mode.Features, starts[i], i + 1 < starts.Count ? starts[i + 1] : -1));
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
    private static List<Part>? ReadInParts(FileRules rules, List<Part> parts, CancellationToken cancellation)
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

        var read = new List<Part>();
        foreach (var part in parts)
        {
            read.Add(part);
            if (part.Outcome == Outcome.Failed) return read; // a real error: a sequential read stops there too
            var expected = read.Count == parts.Count ? Outcome.EndedFeatures : Outcome.ReachedStop;
            if (part.Outcome != expected) return null;
        }
        var tail = new Part(rules, Mode.Tail, read[^1].EndOffset, -1);
        tail.Scan(cancellation);
        read.Add(tail);
        return read;
    }

    /// <summary>Where a position counted from a part's start is in the file, given where the part starts.</summary>
    private static (int Line, int Column) Place((int Line, int Column) origin, (int Line, int Column) at)
        => at.Line <= 0 ? at : at.Line == 1 ? (origin.Line, origin.Column + at.Column - 1) : (origin.Line + at.Line - 1, at.Column);

    /// <summary>Puts the parts together in file order: positions, feature numbers, offenders, duplicates across parts.</summary>
    private static NodeIndex? Merge(FileRules rules, List<Part> parts, DiagnosticBag bag)
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
            index = new NodeIndex(parts.Sum(p => p.Indexes.Count));
            var duplicates = new Offenders();
            for (var i = 0; i < parts.Count; i++)
            {
                foreach (var record in parts[i].Indexes)
                {
                    var number = firstFeature[i] + record.Feature;
                    var first = index.Add(record.Hash, number);
                    if (first == 0) continue;
                    if (!duplicates.Listing)
                    {
                        duplicates.CountOnly();
                        continue;
                    }
                    var text = TokenText(rules.Path, record.Offset);
                    var (line, column) = Place(origins[i], (record.Line, record.Column));
                    duplicates.Add(line, column, number, n => $"Feature {n} has index '{text}', already used by feature {first}.");
                }
            }
            for (var rule = 0; rule < Rules.Length; rule++)
            {
                Offenders.Flush(Rules[rule], rules.Path, parts.Select(p => p.Offenders[rule]).ToList(),
                    (part, at) => Place(origins[part], at), (part, feature) => firstFeature[part] + feature, local);
                if (rule == MissingIndex)
                    Offenders.Flush(Codes.DuplicateIndex, rules.Path, [duplicates], (_, at) => at, (_, feature) => feature, local);
            }
            for (var bit = 0; bit < 4; bit++)
            {
                var missing = parts.Sum(p => p.DisplayMissing[bit]);
                if (missing == 0) continue;
                var part = parts.FindIndex(p => p.DisplayMissing[bit] > 0);
                var attribute = ((Display)(1 << bit)).ToString().ToLowerInvariant();
                local.Add(Codes.MissingDisplayAttribute, rules.Path, 0, 0, missing, features, attribute, firstFeature[part] + parts[part].DisplayFirst[bit]);
            }
        }
        bag.AddRange(local.Items);
        return index;
    }

    /// <summary>The text of the string or number at <paramref name="offset"/>, read again for a message (duplicates are rare).</summary>
    private static string TokenText(string path, long offset)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
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

    private static int Fill(Stream stream, byte[] buffer, int start)
    {
        var total = 0;
        int read;
        while (start + total < buffer.Length && (read = stream.Read(buffer, start + total, buffer.Length - start - total)) > 0)
            total += read;
        return total;
    }

    private enum Mode : byte
    {
        /// <summary>From the start of the file.</summary>
        Document,
        /// <summary>From a cut in the features array, as if it opened there.</summary>
        Features,
        /// <summary>From the end of the features array to the end of the file.</summary>
        Tail,
    }

    private enum Outcome : byte { Running, Completed, Failed, ReachedStop, Overran, EndedFeatures }

    private enum Frame : byte { None, Document, Root, Features, Feature, Geometry, Coordinates, Properties, Crs, CrsProperties }

    private enum Prop : byte
    {
        Other, Type, Features, Crs, Geometry, Properties, Coordinates, Index, A, B, TripId, LinkSequence,
        Time, Headway, Length, Speed, Name,
    }

    [Flags]
    private enum Display : byte { None = 0, Time = 1, Headway = 2, Length = 4, Speed = 8 }

    /// <summary>An index as read: its hash, the feature (numbered in its part), where the feature starts, where the index is.</summary>
    private readonly record struct IndexRecord(ulong Hash, int Feature, int Line, int Column, long Offset);

    /// <summary>One part of a file, read token by token (the whole file when it is read in one pass).</summary>
    private sealed class Part
    {
        private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };

        // What a part read from a cut is taken to follow: the opening of the features array, or a last feature.
        private static ReadOnlySpan<byte> FeaturesPrefix => "{\"features\":["u8;
        private static ReadOnlySpan<byte> TailPrefix => "{\"features\":[{}"u8;

        private readonly FileRules _rules;
        private readonly Mode _mode;
        private readonly long _start;
        private readonly long _stopAt;
        private readonly Frame[] _frames = new Frame[MaxDepth + 2];
        private readonly Prop[] _props = new Prop[MaxDepth + 2];
        private readonly LineTracker _lines;
        private readonly Display _expectedDisplay;
        private int _prefixLength;
        private long _tokenStart;
        private int _skipDepth = -1;
        private bool _stop;

        // The feature being read.
        private (int Line, int Column) _at;
        private bool _hasGeometry, _geometryNull, _hasCoordinates, _coordinatesBad;
        private string? _geometryType;
        private readonly Identifier _index = new(), _a = new(), _b = new();
        private bool _hasTripId, _hasLinkSequence;
        private Display _display;
        private int _coordinatesDepth, _positionLevel, _positions, _numbersInPosition;
        private ulong _levelHasNumbers, _levelHasArrays;
        private string? _coordinateProblem;

        public Part(FileRules rules, Mode mode, long start, long stopAt)
        {
            _rules = rules;
            _mode = mode;
            _start = start;
            _stopAt = stopAt;
            _lines = new LineTracker(start);
            _expectedDisplay = rules.Layer == NetworkLayer.Nodes ? Display.None
                : rules.IsPt ? Display.Time | Display.Headway
                : Display.Length | Display.Time | Display.Speed;
        }

        // What the part found; positions count lines and columns from the part's start, features from 1 in the part.
        public Outcome Outcome { get; private set; }
        public List<Diagnostic> Reported { get; } = new();
        public Offenders[] Offenders { get; } = [new(), new(), new(), new(), new(), new()];
        public List<IndexRecord> Indexes { get; } = new();
        public int FeatureCount { get; private set; }
        public int[] DisplayMissing { get; } = new int[4];
        public int[] DisplayFirst { get; } = new int[4];
        public long EndOffset { get; private set; }
        public (int Line, int Column) EndAt { get; private set; }
        public string? RootType { get; private set; }
        public (int Line, int Column) RootTypeAt { get; private set; }
        public bool SawFeatures { get; private set; }

        public void Scan(CancellationToken cancellation)
        {
            try
            {
                Read(cancellation);
                if (Outcome == Outcome.Running) Outcome = Outcome.Completed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(Codes.UnreadableFile, 0, 0, e.Message);
            }
        }

        private void Report(DiagnosticDescriptor rule, int line, int column, params object?[] args)
            => Reported.Add(rule.Create(_rules.Path, line, column, args));

        private void Fail(DiagnosticDescriptor rule, int line, int column, params object?[] args)
        {
            Report(rule, line, column, args);
            Outcome = Outcome.Failed;
            _stop = true;
        }

        private void Stop(Outcome outcome, byte[] buffer, long bufferStart, long tokenStart)
        {
            Outcome = outcome;
            EndOffset = tokenStart;
            EndAt = _lines.Locate(buffer, bufferStart, tokenStart);
            _stop = true;
        }

        private static JsonReaderState After(ReadOnlySpan<byte> prefix)
        {
            var reader = new Utf8JsonReader(prefix, isFinalBlock: false, new JsonReaderState(Options));
            while (reader.Read())
            {
            }
            return reader.CurrentState;
        }

        private void Read(CancellationToken cancellation)
        {
            using var stream = new FileStream(_rules.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (_start > 0) stream.Position = _start;
            var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
            try
            {
                var length = Fill(stream, buffer, 0);
                var final = length < buffer.Length;
                var offset = 0;
                JsonReaderState state;
                _frames[0] = Frame.Document;
                if (_mode == Mode.Document)
                {
                    if (length == 0)
                    {
                        Fail(Codes.InvalidJson, 1, 1, "the file is empty");
                        return;
                    }
                    offset = JsonEncoding.Detect(buffer.AsSpan(0, Math.Min(length, 4)), out var notUtf8);
                    if (notUtf8 is not null)
                    {
                        Fail(Codes.UnsupportedEncoding, 1, 1, notUtf8);
                        return;
                    }
                    state = new JsonReaderState(Options);
                }
                else
                {
                    var prefix = _mode == Mode.Features ? FeaturesPrefix : TailPrefix;
                    state = After(prefix);
                    _prefixLength = prefix.Length;
                    _frames[1] = Frame.Root;
                    _frames[2] = Frame.Features;
                    _props[1] = Prop.Features;
                }

                var bufferStart = _start;
                while (true)
                {
                    var reader = new Utf8JsonReader(buffer.AsSpan(offset, length - offset), final, state);
                    _tokenStart = bufferStart;
                    try
                    {
                        ReadBlock(ref reader, buffer, bufferStart, offset);
                        cancellation.ThrowIfCancellationRequested();
                    }
                    catch (JsonException e)
                    {
                        var syntax = JsonSyntaxException.From(e);
                        // The reader counts the prefix a part was started with as part of its first line.
                        Fail(Codes.InvalidJson, syntax.Line, syntax.Line == 1 ? syntax.Column - _prefixLength : syntax.Column, syntax.Message);
                        return;
                    }
                    catch (InvalidOperationException)
                    {
                        // The reader checks structure, not the UTF-8 inside strings: reading such a string throws.
                        var (line, column) = _lines.Locate(buffer, bufferStart, _tokenStart);
                        Fail(Codes.InvalidJson, line, column, "a string here is not valid UTF-8; save the file as UTF-8");
                        return;
                    }
                    if (_stop || final) return;

                    state = reader.CurrentState;
                    var consumed = offset + (int)reader.BytesConsumed;
                    _lines.Advance(buffer, bufferStart, bufferStart + consumed);
                    var remaining = length - consumed;
                    if (consumed == 0 && length == buffer.Length)
                    {
                        // One token fills the whole buffer: grow it, within reason.
                        if (buffer.Length >= MaxTokenBytes)
                        {
                            var (line, column) = _lines.Locate(buffer, bufferStart, bufferStart);
                            Fail(Codes.TokenTooLarge, line, column, MaxTokenBytes >> 20);
                            return;
                        }
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        Buffer.BlockCopy(buffer, 0, larger, 0, length);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    else
                    {
                        Buffer.BlockCopy(buffer, consumed, buffer, 0, remaining);
                        bufferStart += consumed;
                        length = remaining;
                    }
                    offset = 0;
                    length += Fill(stream, buffer, length);
                    final = length < buffer.Length;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>
        /// Reads the tokens of one buffer. A method called once per buffer (not one loop for the whole file), so that
        /// the JIT optimises it, with what it has seen of real data, after a few buffers instead of running it in
        /// tier 0 or on-stack-replaced code for the whole file.
        /// </summary>
        private void ReadBlock(ref Utf8JsonReader reader, byte[] buffer, long bufferStart, int offset)
        {
            while (!_stop && reader.Read())
            {
                _tokenStart = bufferStart + offset + reader.TokenStartIndex;
                OnToken(ref reader, buffer, bufferStart, _tokenStart);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OnToken(ref Utf8JsonReader reader, byte[] buffer, long bufferStart, long tokenStart)
        {
            var depth = reader.CurrentDepth;
            var token = reader.TokenType;
            if (_skipDepth >= 0)
            {
                if (depth == _skipDepth && token is JsonTokenType.EndObject or JsonTokenType.EndArray) _skipDepth = -1;
                return;
            }

            var frame = _frames[depth];
            switch (token)
            {
                case JsonTokenType.PropertyName:
                    _props[depth] = Classify(frame, ref reader);
                    return;

                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    OnStart(frame, depth, token == JsonTokenType.StartArray, buffer, bufferStart, tokenStart);
                    return;

                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    var closed = _frames[depth + 1];
                    if (closed == Frame.Feature) EndFeature();
                    else if (closed == Frame.Coordinates) EndPosition();
                    else if (closed == Frame.Features) EndFeatures(buffer, bufferStart, tokenStart);
                    return;

                default:
                    OnValue(ref reader, frame, depth, buffer, bufferStart, tokenStart);
                    return;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Prop Classify(Frame frame, ref Utf8JsonReader r) => frame switch
        {
            Frame.Root => r.ValueTextEquals("type"u8) ? Prop.Type : r.ValueTextEquals("features"u8) ? Prop.Features : r.ValueTextEquals("crs"u8) ? Prop.Crs : Prop.Other,
            Frame.Feature => r.ValueTextEquals("geometry"u8) ? Prop.Geometry : r.ValueTextEquals("properties"u8) ? Prop.Properties : Prop.Other,
            Frame.Geometry => r.ValueTextEquals("type"u8) ? Prop.Type : r.ValueTextEquals("coordinates"u8) ? Prop.Coordinates : Prop.Other,
            Frame.Properties => r.ValueIsEscaped || r.HasValueSequence ? ClassifyEscaped(ref r) : ClassifyProperty(r.ValueSpan),
            Frame.Crs => r.ValueTextEquals("properties"u8) ? Prop.Properties : Prop.Other,
            Frame.CrsProperties => r.ValueTextEquals("name"u8) ? Prop.Name : Prop.Other,
            _ => Prop.Other,
        };

        /// <summary>The hot path: most property names are attributes the rules ignore; their length alone rules them out.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Prop ClassifyProperty(ReadOnlySpan<byte> name) => name.Length switch
        {
            1 => name[0] == (byte)'a' ? Prop.A : name[0] == (byte)'b' ? Prop.B : Prop.Other,
            4 => name.SequenceEqual("time"u8) ? Prop.Time : Prop.Other,
            5 => name.SequenceEqual("index"u8) ? Prop.Index : name.SequenceEqual("speed"u8) ? Prop.Speed : Prop.Other,
            6 => name.SequenceEqual("length"u8) ? Prop.Length : Prop.Other,
            7 => name.SequenceEqual("trip_id"u8) ? Prop.TripId : name.SequenceEqual("headway"u8) ? Prop.Headway : Prop.Other,
            13 => name.SequenceEqual("link_sequence"u8) ? Prop.LinkSequence : Prop.Other,
            _ => Prop.Other,
        };

        private static Prop ClassifyEscaped(ref Utf8JsonReader r)
        {
            // An escaped name is never shorter than its text: a long one is none of ours.
            var length = r.HasValueSequence ? r.ValueSequence.Length : r.ValueSpan.Length;
            if (length > 64) return Prop.Other;
            Span<byte> name = stackalloc byte[64];
            return ClassifyProperty(name[..r.CopyString(name)]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OnStart(Frame frame, int depth, bool isArray, byte[] buffer, long bufferStart, long tokenStart)
        {
            var prop = _props[depth];
            var inner = Frame.None;
            switch (frame)
            {
                case Frame.Document:
                    if (isArray)
                    {
                        Fail(Codes.NotFeatureCollection, 1, 1, "the top-level value is an array, not an object");
                        return;
                    }
                    inner = Frame.Root;
                    break;
                case Frame.Root when prop == Prop.Features:
                    if (!isArray)
                    {
                        var (line, column) = _lines.Locate(buffer, bufferStart, tokenStart);
                        Fail(Codes.NotFeatureCollection, line, column, "'features' is not an array");
                        return;
                    }
                    SawFeatures = true;
                    inner = Frame.Features;
                    break;
                case Frame.Root when prop == Prop.Crs && !isArray:
                    inner = Frame.Crs;
                    break;
                case Frame.Crs when prop == Prop.Properties && !isArray:
                    inner = Frame.CrsProperties;
                    break;
                case Frame.Features:
                    if (!StartFeature(buffer, bufferStart, tokenStart)) return;
                    if (isArray)
                    {
                        Offend(WrongGeometry, static (_, n, _) => $"Feature {n} is an array, not a GeoJSON Feature object.");
                        break;
                    }
                    BeginFeature();
                    inner = Frame.Feature;
                    break;
                case Frame.Feature when prop == Prop.Geometry && !isArray:
                    _hasGeometry = true;
                    inner = Frame.Geometry;
                    break;
                case Frame.Feature when prop == Prop.Properties && !isArray:
                    inner = Frame.Properties;
                    break;
                case Frame.Geometry when prop == Prop.Coordinates && isArray:
                    _hasCoordinates = true;
                    _coordinatesDepth = depth;
                    _levelHasNumbers = _levelHasArrays = 0;
                    _numbersInPosition = 0;
                    inner = Frame.Coordinates;
                    break;
                case Frame.Coordinates:
                    var level = depth - _coordinatesDepth;
                    if (!isArray || (_levelHasNumbers & (1UL << level)) != 0) _coordinatesBad = true;
                    if (isArray)
                    {
                        _levelHasArrays |= 1UL << level;
                        _numbersInPosition = 0;
                        inner = Frame.Coordinates;
                    }
                    break;
            }

            if (inner == Frame.None)
            {
                _skipDepth = depth;
                return;
            }
            _frames[depth + 1] = inner;
            _props[depth + 1] = Prop.Other;
        }

        /// <summary>
        /// An element of the features array starts: counts and locates it. Returns false when the next part starts
        /// here instead, which ends this one (and proves its cut right if exactly here: a cut is always a '{').
        /// </summary>
        private bool StartFeature(byte[] buffer, long bufferStart, long tokenStart)
        {
            if (_stopAt >= 0 && tokenStart >= _stopAt)
            {
                Stop(tokenStart == _stopAt ? Outcome.ReachedStop : Outcome.Overran, buffer, bufferStart, tokenStart);
                return false;
            }
            _at = _lines.Locate(buffer, bufferStart, tokenStart);
            FeatureCount++;
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void EndPosition()
        {
            if (_numbersInPosition == 0) return;
            if (_numbersInPosition is < 2 or > 3) _coordinatesBad = true;
            _positions++;
            _numbersInPosition = 0;
        }

        /// <summary>The end of the features array: where a part read from a cut ends (a part that had to stop earlier went too far).</summary>
        private void EndFeatures(byte[] buffer, long bufferStart, long tokenStart)
        {
            if (_mode == Mode.Tail || (_mode == Mode.Document && _stopAt < 0)) return;
            Stop(_stopAt >= 0 ? Outcome.Overran : Outcome.EndedFeatures, buffer, bufferStart, tokenStart);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OnValue(ref Utf8JsonReader reader, Frame frame, int depth, byte[] buffer, long bufferStart, long tokenStart)
        {
            var prop = _props[depth];
            var token = reader.TokenType;
            switch (frame)
            {
                case Frame.Document:
                    Fail(Codes.NotFeatureCollection, 1, 1, "the top-level value is not an object");
                    return;
                case Frame.Root when prop == Prop.Type:
                    RootType = token == JsonTokenType.String ? reader.GetString() : "(not a string)";
                    RootTypeAt = _lines.Locate(buffer, bufferStart, tokenStart);
                    return;
                case Frame.Root when prop == Prop.Features:
                    var (line, column) = _lines.Locate(buffer, bufferStart, tokenStart);
                    Fail(Codes.NotFeatureCollection, line, column, "'features' is not an array");
                    return;
                case Frame.Root when prop == Prop.Crs && token == JsonTokenType.String:
                case Frame.CrsProperties when prop == Prop.Name:
                    CheckCrs(token == JsonTokenType.String ? reader.GetString() : null, _lines.Locate(buffer, bufferStart, tokenStart));
                    return;
                case Frame.Features:
                    if (!StartFeature(buffer, bufferStart, tokenStart)) return;
                    Offend(WrongGeometry, static (_, n, _) => $"Feature {n} is not a GeoJSON Feature object.");
                    return;
                case Frame.Feature when prop == Prop.Geometry && token == JsonTokenType.Null:
                    _geometryNull = true;
                    return;
                case Frame.Geometry when prop == Prop.Type:
                    // The expected type (nearly always) without allocating a string per feature.
                    _geometryType = token != JsonTokenType.String ? "(not a string)"
                        : reader.ValueTextEquals(_rules.Layer == NetworkLayer.Nodes ? "Point"u8 : "LineString"u8) ? _rules.Expected
                        : reader.GetString();
                    return;
                case Frame.Coordinates:
                    OnCoordinate(ref reader, depth);
                    return;
                case Frame.Properties:
                    OnProperty(ref reader, prop, tokenStart);
                    return;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OnCoordinate(ref Utf8JsonReader reader, int depth)
        {
            var level = depth - _coordinatesDepth;
            if (reader.TokenType != JsonTokenType.Number || (_levelHasArrays & (1UL << level)) != 0)
            {
                _coordinatesBad = true;
                return;
            }
            _levelHasNumbers |= 1UL << level;
            if (_positionLevel == 0) _positionLevel = level;
            else if (_positionLevel != level) _coordinatesBad = true;

            _numbersInPosition++;
            if (_numbersInPosition > 2) return;
            var longitude = _numbersInPosition == 1;
            var limit = longitude ? 180 : 90;
            if (!reader.HasValueSequence && WithinBounds(reader.ValueSpan, limit)) return;
            if (!reader.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                _coordinateProblem ??= $"coordinate {Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan)} is not a finite number";
                return;
            }
            if (_coordinateProblem is null && Math.Abs(value) > limit)
            {
                _coordinateProblem = string.Create(CultureInfo.InvariantCulture,
                    $"{(longitude ? "longitude" : "latitude")} {value} is outside [-{limit}, {limit}]; the network looks projected (metres): reproject it to EPSG:4326");
            }
        }

        /// <summary>
        /// Decides "finite and within ±limit" from the text of a plain decimal (what GeoJSON writers produce) without
        /// parsing it: an integer part below the limit is enough. Exponents and edge values go to the full parse.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool WithinBounds(ReadOnlySpan<byte> number, int limit)
        {
            var i = number.Length > 0 && number[0] == (byte)'-' ? 1 : 0;
            var integer = 0;
            var digits = 0;
            for (; i < number.Length && number[i] is >= (byte)'0' and <= (byte)'9'; i++)
            {
                integer = integer * 10 + (number[i] - '0');
                if (++digits > 3) return false;
            }
            if (i < number.Length && number[i] != (byte)'.') return false;
            for (i++; i < number.Length; i++)
                if (number[i] is < (byte)'0' or > (byte)'9') return false;
            return integer < limit;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OnProperty(ref Utf8JsonReader reader, Prop prop, long tokenStart)
        {
            var present = reader.TokenType != JsonTokenType.Null;
            switch (prop)
            {
                case Prop.Index: _index.Read(ref reader, tokenStart); break;
                case Prop.A: _a.Read(ref reader, tokenStart); break;
                case Prop.B: _b.Read(ref reader, tokenStart); break;
                case Prop.TripId: _hasTripId = present; break;
                case Prop.LinkSequence: _hasLinkSequence = present; break;
                case Prop.Time when present: _display |= Display.Time; break;
                case Prop.Headway when present: _display |= Display.Headway; break;
                case Prop.Length when present: _display |= Display.Length; break;
                case Prop.Speed when present: _display |= Display.Speed; break;
            }
        }

        private void CheckCrs(string? name, (int Line, int Column) at)
        {
            if (name is not null && Array.Exists(GeographicCrs, g => string.Equals(g, name, StringComparison.OrdinalIgnoreCase))) return;
            Report(Codes.ProjectedCrs, at.Line, at.Column,
                $"The file declares the CRS '{name ?? "(not a string)"}', which is not longitude/latitude: Quenedi needs CRS84 or EPSG:4326. Reproject the network (for example geopandas' to_crs(4326)) or remove the 'crs' member if the coordinates already are longitude/latitude.");
        }

        private void BeginFeature()
        {
            _hasGeometry = _geometryNull = _hasCoordinates = _coordinatesBad = false;
            _geometryType = null;
            _index.Clear();
            _a.Clear();
            _b.Clear();
            _hasTripId = _hasLinkSequence = false;
            _display = Display.None;
            _positionLevel = _positions = _numbersInPosition = 0;
            _coordinateProblem = null;
        }

        private void EndFeature()
        {
            var expected = _rules.Expected;
            if (!_hasGeometry || _geometryNull)
                Offend(WrongGeometry, (name, n, _) => $"{Capitalised(name)} (feature {n}) has no geometry; {_rules.Noun}s must be {_rules.Expected}s.");
            else if (_geometryType != expected)
                Offend(WrongGeometry, (name, n, type) => $"{Capitalised(name)} (feature {n}) is a {type}; {_rules.Noun}s must be {_rules.Expected}s.", _geometryType ?? "geometry without type");
            else if (!_hasCoordinates || _coordinatesBad || !ShapeMatches())
                Offend(BadCoordinates, (name, n, _) => $"{Capitalised(name)} (feature {n}): coordinates are not a valid {_rules.Expected} ({Shape()}).");
            else if (_coordinateProblem is not null)
                Offend(BadCoordinates, static (name, n, problem) => $"{Capitalised(name)} (feature {n}): {problem}.", _coordinateProblem);

            if (!_index.Present)
                Offend(MissingIndex, static (_, n, _) => $"Feature {n} has no properties.index (a string or number, unique in the file).");
            else
                Indexes.Add(new(_index.Hash, FeatureCount, _at.Line, _at.Column, _index.Offset));

            if (_rules.Layer != NetworkLayer.Links) return;

            if (!_a.Present || !_b.Present)
            {
                var missing = !_a.Present && !_b.Present ? "'a' and 'b'" : !_a.Present ? "'a'" : "'b'";
                Offend(MissingEndpoint, static (name, n, missing) => $"{Capitalised(name)} (feature {n}) has no {missing}: the indexes of the nodes it joins.", missing);
            }
            if (_rules.Nodes is { } nodes)
            {
                if (_a.Present && !nodes.Contains(_a.Hash))
                    Offend(DanglingEndpoint, (name, n, a) => $"{Capitalised(name)} (feature {n}): a = '{a}' is not a node of {_rules.NodesFile}.", _a.ToString());
                if (_b.Present && !nodes.Contains(_b.Hash))
                    Offend(DanglingEndpoint, (name, n, b) => $"{Capitalised(name)} (feature {n}): b = '{b}' is not a node of {_rules.NodesFile}.", _b.ToString());
            }
            if (_rules.IsPt && (!_hasTripId || !_hasLinkSequence))
            {
                var missing = !_hasTripId && !_hasLinkSequence ? "'trip_id' and 'link_sequence'" : !_hasTripId ? "'trip_id'" : "'link_sequence'";
                Offend(MissingPt, static (name, n, missing) => $"Pt {name} (feature {n}) has no {missing}.", missing);
            }
            for (var bit = 0; bit < 4; bit++)
            {
                var flag = (Display)(1 << bit);
                if ((_expectedDisplay & flag) != 0 && (_display & flag) == 0 && DisplayMissing[bit]++ == 0)
                    DisplayFirst[bit] = FeatureCount;
            }
        }

        /// <summary>
        /// Records a breach by the feature being read. Its message is written when the parts are put together, from
        /// the feature's name (its index, or its number in the file), that number and <paramref name="detail"/>.
        /// </summary>
        private void Offend(int rule, Func<string, int, string?, string> message, string? detail = null)
        {
            var offenders = Offenders[rule];
            if (!offenders.Listing)
            {
                offenders.CountOnly();
                return;
            }
            var noun = _rules.Noun;
            var index = _index.Present ? _index.ToString() : null;
            offenders.Add(_at.Line, _at.Column, FeatureCount, n => message(index is null ? $"{noun} {n}" : $"{noun} '{index}'", n, detail));
        }

        private bool ShapeMatches() => _rules.Layer == NetworkLayer.Nodes
            ? _positionLevel == 1 && _positions == 1
            : _positionLevel == 2 && _positions >= 2;

        private string Shape() => _rules.Layer == NetworkLayer.Nodes
            ? "[longitude, latitude]"
            : "an array of at least two [longitude, latitude] positions";
    }

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>
    /// An index or a node reference of the feature being read: a string (unescaped) or a number (as written), kept as
    /// a hash and its bytes, which become text only if a message needs them. Reused from feature to feature.
    /// </summary>
    private sealed class Identifier
    {
        private byte[] _bytes = new byte[64];
        private int _length;

        public bool Present { get; private set; }
        public ulong Hash { get; private set; }
        public long Offset { get; private set; }

        public void Clear() => Present = false;

        public void Read(ref Utf8JsonReader reader, long offset)
        {
            Present = reader.TokenType is JsonTokenType.String or JsonTokenType.Number;
            if (!Present) return;
            Offset = offset;
            var length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
            if (length > _bytes.Length) _bytes = new byte[Math.Max(length, _bytes.Length * 2)];
            _length = reader.TokenType == JsonTokenType.String ? reader.CopyString(_bytes) : CopyRaw(ref reader, _bytes);
            Hash = NodeIndex.Hash(_bytes.AsSpan(0, _length));
        }

        private static int CopyRaw(ref Utf8JsonReader reader, byte[] target)
        {
            if (!reader.HasValueSequence)
            {
                reader.ValueSpan.CopyTo(target);
                return reader.ValueSpan.Length;
            }
            reader.ValueSequence.CopyTo(target);
            return (int)reader.ValueSequence.Length;
        }

        public override string ToString() => Encoding.UTF8.GetString(_bytes, 0, _length);
    }
}
