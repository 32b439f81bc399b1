using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Core;
using Quetzal.Sdk.Diagnostics;
using static Quetzal.Sdk.Validation.NetworkSyntax;
using static Quetzal.Sdk.Validation.NetworkValidator;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// One part of a network file (the whole file when it is read in one pass), read token by token from a buffer
/// refilled from disk (and grown for a long token), each token given its meaning where it stands, and each feature
/// checked against the GeoJSON rules (<see cref="FeatureRule"/>) once it ends.
/// </summary>
internal sealed class NetworkPart
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
    private Display _display, _displayNull;
    private int _coordinatesDepth, _positionLevel, _positions, _numbersInPosition;
    private ulong _levelHasNumbers, _levelHasArrays;
    private string? _coordinateProblem;

    public NetworkPart(FileRules rules, Mode mode, long start, long stopAt)
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
    public Offenders[] Offenders { get; } = FeatureRule.All.Select(_ => new Offenders()).ToArray();
    public List<IndexRecord> Indexes { get; } = new();
    public int FeatureCount { get; private set; }
    public int[] DisplayMissing { get; } = new int[4];
    public int[] DisplayFirst { get; } = new int[4];
    public (int Line, int Column)[] DisplayFirstAt { get; } = new (int, int)[4];
    /// <summary>Of <see cref="DisplayMissing"/>, the features whose attribute is there but null.</summary>
    public int[] DisplayNull { get; } = new int[4];
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
        using var stream = ModelFiles.OpenRead(_rules.Path, 1, FileOptions.SequentialScan);
        if (_start > 0) stream.Position = _start;
        var buffer = ArrayPool<byte>.Shared.Rent(_rules.BufferSize);
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
    /// Reads the tokens of one buffer: the hot loop, with the rules inlined into it. Compiled optimised at its first
    /// call: left to tiered compilation, this large method was compiled three times (tier 0, on-stack replacement,
    /// tier 1) and read the first tens of MB of every network in its slower first tiers. (It has no virtual calls
    /// for profile-guided optimisation to resolve; the reader's methods it calls tier up on their own.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadBlock(ref Utf8JsonReader reader, byte[] buffer, long bufferStart, int offset)
    {
        while (!_stop && reader.Read())
        {
            _tokenStart = bufferStart + offset + reader.TokenStartIndex;
            OnToken(ref reader, buffer, bufferStart, _tokenStart);
        }
    }

    // The GeoJSON rules: what each token means where it stands, and what a feature must hold once it ends.

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

    /// <summary>
    /// What a property name means where it stands. Names are told apart by their length first, then their bytes
    /// (an escaped name is unescaped first, a rare case): most are attributes the rules ignore.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Prop Classify(Frame frame, ref Utf8JsonReader r)
        => r.ValueIsEscaped || r.HasValueSequence ? ClassifyEscaped(frame, ref r) : ClassifyName(frame, r.ValueSpan);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Prop ClassifyName(Frame frame, ReadOnlySpan<byte> name) => frame switch
    {
        Frame.Properties => ClassifyProperty(name),
        Frame.Feature => name.Length switch
        {
            8 => name.SequenceEqual("geometry"u8) ? Prop.Geometry : Prop.Other,
            10 => name.SequenceEqual("properties"u8) ? Prop.Properties : Prop.Other,
            _ => Prop.Other,
        },
        Frame.Geometry => name.Length switch
        {
            4 => name.SequenceEqual("type"u8) ? Prop.Type : Prop.Other,
            11 => name.SequenceEqual("coordinates"u8) ? Prop.Coordinates : Prop.Other,
            _ => Prop.Other,
        },
        Frame.Root => name.SequenceEqual("type"u8) ? Prop.Type : name.SequenceEqual("features"u8) ? Prop.Features : name.SequenceEqual("crs"u8) ? Prop.Crs : Prop.Other,
        Frame.Crs => name.SequenceEqual("properties"u8) ? Prop.Properties : Prop.Other,
        Frame.CrsProperties => name.SequenceEqual("name"u8) ? Prop.Name : Prop.Other,
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

    private static Prop ClassifyEscaped(Frame frame, ref Utf8JsonReader r)
    {
        // An escaped name is never shorter than its text: a long one is none of ours.
        var length = r.HasValueSequence ? r.ValueSequence.Length : r.ValueSpan.Length;
        if (length > 64) return Prop.Other;
        Span<byte> name = stackalloc byte[64];
        return ClassifyName(frame, name[..r.CopyString(name)]);
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
                    Offend(FeatureRule.WrongGeometry, static (_, n, _) => $"Feature {n} is an array, not a GeoJSON Feature object.");
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
                Offend(FeatureRule.WrongGeometry, static (_, n, _) => $"Feature {n} is not a GeoJSON Feature object.");
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
            case Prop.A:
                _a.Read(ref reader, tokenStart);
                if (_a.Present) _rules.Nodes?.Prefetch(_a.Hash);
                break;
            case Prop.B:
                _b.Read(ref reader, tokenStart);
                if (_b.Present) _rules.Nodes?.Prefetch(_b.Hash);
                break;
            case Prop.TripId: _hasTripId = present; break;
            case Prop.LinkSequence: _hasLinkSequence = present; break;
            case Prop.Time: Displayed(Display.Time, present); break;
            case Prop.Headway: Displayed(Display.Headway, present); break;
            case Prop.Length: Displayed(Display.Length, present); break;
            case Prop.Speed: Displayed(Display.Speed, present); break;
        }
    }

    private void Displayed(Display attribute, bool present)
    {
        if (present) _display |= attribute;
        else _displayNull |= attribute;
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
        _display = _displayNull = Display.None;
        _positionLevel = _positions = _numbersInPosition = 0;
        _coordinateProblem = null;
    }

    private void EndFeature()
    {
        var expected = _rules.Expected;
        if (!_hasGeometry || _geometryNull)
            Offend(FeatureRule.WrongGeometry, (name, n, _) => $"{Capitalised(name)} (feature {n}) has no geometry; {_rules.Noun}s must be {_rules.Expected}s.");
        else if (_geometryType != expected)
            Offend(FeatureRule.WrongGeometry, (name, n, type) => $"{Capitalised(name)} (feature {n}) is a {type}; {_rules.Noun}s must be {_rules.Expected}s.", _geometryType ?? "geometry without type");
        else if (!_hasCoordinates || _coordinatesBad || !ShapeMatches())
            Offend(FeatureRule.BadCoordinates, (name, n, _) => $"{Capitalised(name)} (feature {n}): coordinates are not a valid {_rules.Expected} ({Shape()}).");
        else if (_coordinateProblem is not null)
            Offend(FeatureRule.BadCoordinates, static (name, n, problem) => $"{Capitalised(name)} (feature {n}): {problem}.", _coordinateProblem);

        if (!_index.Present)
            Offend(FeatureRule.MissingIndex, static (_, n, _) => $"Feature {n} has no properties.index (a string or number, unique in the file).");
        else
            Indexes.Add(new(_index.Hash, FeatureCount, _at.Line, _at.Column, _index.Offset));

        if (_rules.Layer != NetworkLayer.Links) return;

        if (!_a.Present || !_b.Present)
        {
            var missing = !_a.Present && !_b.Present ? "'a' and 'b'" : !_a.Present ? "'a'" : "'b'";
            Offend(FeatureRule.MissingEndpoint, static (name, n, missing) => $"{Capitalised(name)} (feature {n}) has no {missing}: the indexes of the nodes it joins.", missing);
        }
        if (_rules.Nodes is { } nodes)
        {
            if (_a.Present && !nodes.Contains(_a.Hash))
                Offend(FeatureRule.DanglingEndpoint, (name, n, a) => $"{Capitalised(name)} (feature {n}): a = '{a}' is not a node of {_rules.NodesFile}.", _a.ToString());
            if (_b.Present && !nodes.Contains(_b.Hash))
                Offend(FeatureRule.DanglingEndpoint, (name, n, b) => $"{Capitalised(name)} (feature {n}): b = '{b}' is not a node of {_rules.NodesFile}.", _b.ToString());
        }
        if (_rules.IsPt && (!_hasTripId || !_hasLinkSequence))
        {
            var missing = !_hasTripId && !_hasLinkSequence ? "'trip_id' and 'link_sequence'" : !_hasTripId ? "'trip_id'" : "'link_sequence'";
            Offend(FeatureRule.MissingPt, static (name, n, missing) => $"Pt {name} (feature {n}) has no {missing}.", missing);
        }
        for (var bit = 0; bit < 4; bit++)
        {
            var flag = (Display)(1 << bit);
            if ((_expectedDisplay & flag) == 0 || (_display & flag) != 0) continue;
            if ((_displayNull & flag) != 0) DisplayNull[bit]++;
            if (DisplayMissing[bit]++ == 0) (DisplayFirst[bit], DisplayFirstAt[bit]) = (FeatureCount, _at);
        }
    }

    /// <summary>
    /// Records a breach by the feature being read. Its message is written when the parts are put together, from
    /// the feature's name (its index, or its number in the file), that number and <paramref name="detail"/>.
    /// </summary>
    private void Offend(FeatureRule rule, Func<string, int, string?, string> message, string? detail = null)
    {
        var offenders = Offenders[rule.Slot];
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
