using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

public enum NetworkLayer { Nodes, Links }

/// <summary>
/// Validates one GeoJSON network file as quetzal and Quenedi write them, in one streaming pass:
/// tokens are read from a buffer refilled from disk, so memory holds the buffer and the indexes, never the file.
/// Nodes are read first; their indexes are what the links of the same network may name.
/// </summary>
public sealed class NetworkValidator
{
    public const int ListedOffenders = 5;
    internal static int InitialBufferSize = 1 << 20;
    internal const int MaxTokenBytes = 64 << 20;

    /// <summary>CRS names that mean longitude/latitude in degrees (what RFC 7946 and Quenedi expect).</summary>
    private static readonly string[] GeographicCrs =
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
        "EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ];

    private enum Frame : byte { None, Document, Root, Features, Feature, Geometry, Coordinates, Properties, Crs, CrsProperties }

    private enum Prop : byte
    {
        Other, Type, Features, Crs, Geometry, Properties, Coordinates, Index, A, B, TripId, LinkSequence,
        Time, Headway, Length, Speed, Name,
    }

    [Flags]
    private enum Display : byte { None = 0, Time = 1, Headway = 2, Length = 4, Speed = 8 }

    private const int MaxDepth = 64;

    private readonly string _path;
    private readonly NetworkLayer _layer;
    private readonly bool _isPt;
    private readonly NodeIndex? _nodes;
    private readonly string? _nodesFile;
    private readonly DiagnosticBag _bag;
    private readonly Frame[] _frames = new Frame[MaxDepth + 2];
    private readonly Prop[] _props = new Prop[MaxDepth + 2];
    private readonly NodeIndex _indexes = new();
    private readonly LineTracker _lines = new();
    private readonly Offenders _wrongGeometry, _badCoordinates, _missingIndex, _duplicateIndex, _missingEndpoint, _danglingEndpoint, _missingPt;
    private readonly Display _expectedDisplay;
    private readonly int[] _displayMissing = new int[4];
    private readonly int[] _displayFirst = new int[4];

    private int _skipDepth = -1;
    private bool _stop;
    private bool _sawFeatures;
    private string? _rootType;
    private (int Line, int Column) _rootTypeAt;
    private int _featureCount;

    // The feature being read.
    private (int Line, int Column) _at;
    private bool _hasGeometry, _geometryNull, _hasCoordinates, _coordinatesBad;
    private string? _geometryType;
    private Identifier _index = new(), _a = new(), _b = new();
    private bool _hasTripId, _hasLinkSequence;
    private Display _display;
    private int _coordinatesDepth, _positionLevel, _positions, _numbersInPosition;
    private ulong _levelHasNumbers, _levelHasArrays;
    private string? _coordinateProblem;

    private NetworkValidator(string path, NetworkLayer layer, bool isPt, NodeIndex? nodes, string? nodesFile, DiagnosticBag bag)
    {
        _path = path;
        _layer = layer;
        _isPt = isPt;
        _nodes = nodes;
        _nodesFile = nodesFile;
        _bag = bag;
        _wrongGeometry = new(Codes.WrongGeometry, path);
        _badCoordinates = new(Codes.InvalidCoordinates, path);
        _missingIndex = new(Codes.MissingIndex, path);
        _duplicateIndex = new(Codes.DuplicateIndex, path);
        _missingEndpoint = new(Codes.MissingEndpoint, path);
        _danglingEndpoint = new(Codes.DanglingEndpoint, path);
        _missingPt = new(Codes.MissingPtAttribute, path);
        _expectedDisplay = layer == NetworkLayer.Nodes ? Display.None
            : isPt ? Display.Time | Display.Headway
            : Display.Length | Display.Time | Display.Speed;
    }

    /// <summary>Validates a nodes file; returns its indexes (feature number by index) when the file could be read to the end.</summary>
    public static NodeIndex? ValidateNodes(string path, bool isPt, DiagnosticBag bag, CancellationToken cancellation = default)
    {
        var validator = new NetworkValidator(path, NetworkLayer.Nodes, isPt, null, null, bag);
        return validator.Run(cancellation) ? validator._indexes : null;
    }

    /// <summary>Validates a links file; <paramref name="nodes"/> (null when the nodes could not be read) are what a and b may name.</summary>
    public static bool ValidateLinks(string path, bool isPt, NodeIndex? nodes, string nodesFile, DiagnosticBag bag, CancellationToken cancellation = default)
        => new NetworkValidator(path, NetworkLayer.Links, isPt, nodes, nodesFile, bag).Run(cancellation);

    private string Noun => _layer == NetworkLayer.Nodes ? "node" : "link";

    private bool Run(CancellationToken cancellation)
    {
        var local = new DiagnosticBag();
        bool readable;
        try
        {
            readable = Scan(local, cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _bag.Add(Codes.UnreadableFile, _path, 0, 0, e.Message);
            return false;
        }
        if (readable)
        {
            _wrongGeometry.Flush(local);
            _badCoordinates.Flush(local);
            _missingIndex.Flush(local);
            _duplicateIndex.Flush(local);
            _missingEndpoint.Flush(local);
            _danglingEndpoint.Flush(local);
            _missingPt.Flush(local);
            ReportDisplay(local);
        }
        _bag.AddRange(local.Items);
        return readable;
    }

    /// <summary>Reads the file token by token; returns false when it is not JSON or not a FeatureCollection.</summary>
    private bool Scan(DiagnosticBag local, CancellationToken cancellation)
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            var length = Fill(stream, buffer, 0);
            var final = length < buffer.Length;
            if (length == 0)
            {
                local.Add(Codes.InvalidJson, _path, 1, 1, "the file is empty");
                return false;
            }
            var offset = JsonEncoding.Detect(buffer.AsSpan(0, Math.Min(length, 4)), out var notUtf8);
            if (notUtf8 is not null)
            {
                local.Add(Codes.UnsupportedEncoding, _path, 1, 1, notUtf8);
                return false;
            }

            long bufferStart = 0;
            var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = MaxDepth });
            _frames[0] = Frame.Document;
            var tokens = 0;
            while (true)
            {
                var reader = new Utf8JsonReader(buffer.AsSpan(offset, length - offset), final, state);
                long tokenStart = bufferStart;
                try
                {
                    while (!_stop && reader.Read())
                    {
                        tokenStart = bufferStart + offset + reader.TokenStartIndex;
                        OnToken(ref reader, buffer, bufferStart, tokenStart, local);
                        if ((++tokens & 0xFFFF) == 0) cancellation.ThrowIfCancellationRequested();
                    }
                }
                catch (JsonException e)
                {
                    var syntax = JsonSyntaxException.From(e);
                    local.Add(Codes.InvalidJson, _path, syntax.Line, syntax.Column, syntax.Message);
                    return false;
                }
                catch (InvalidOperationException)
                {
                    // The reader checks structure, not the UTF-8 inside strings: reading such a string throws.
                    var (line, column) = _lines.Locate(buffer, bufferStart, tokenStart);
                    local.Add(Codes.InvalidJson, _path, line, column, "a string here is not valid UTF-8; save the file as UTF-8");
                    return false;
                }
                if (_stop) return false;
                if (final) break;

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
                        local.Add(Codes.TokenTooLarge, _path, line, column, MaxTokenBytes >> 20);
                        return false;
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

        if (_rootType != "FeatureCollection")
        {
            var (line, column) = _rootType is null ? (1, 1) : _rootTypeAt;
            local.Add(Codes.NotFeatureCollection, _path, line, column,
                _rootType is null ? "it has no \"type\": \"FeatureCollection\"" : $"its type is '{_rootType}'");
            return false;
        }
        if (!_sawFeatures)
        {
            local.Add(Codes.NotFeatureCollection, _path, 1, 1, "it has no 'features' array");
            return false;
        }
        return true;
    }

    private static int Fill(Stream stream, byte[] buffer, int start)
    {
        var total = 0;
        int read;
        while (start + total < buffer.Length && (read = stream.Read(buffer, start + total, buffer.Length - start - total)) > 0)
            total += read;
        return total;
    }

    private void OnToken(ref Utf8JsonReader reader, byte[] buffer, long bufferStart, long tokenStart, DiagnosticBag local)
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
                OnStart(ref reader, frame, depth, token == JsonTokenType.StartArray, buffer, bufferStart, tokenStart, local);
                return;

            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                OnEnd(_frames[depth + 1]);
                return;

            default:
                OnValue(ref reader, frame, depth, buffer, bufferStart, tokenStart, local);
                return;
        }
    }

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

    private void OnStart(ref Utf8JsonReader reader, Frame frame, int depth, bool isArray, byte[] buffer, long bufferStart, long tokenStart, DiagnosticBag local)
    {
        var prop = _props[depth];
        var inner = Frame.None;
        switch (frame)
        {
            case Frame.Document:
                if (isArray)
                {
                    local.Add(Codes.NotFeatureCollection, _path, 1, 1, "the top-level value is an array, not an object");
                    _stop = true;
                    return;
                }
                inner = Frame.Root;
                break;
            case Frame.Root when prop == Prop.Features:
                if (!isArray)
                {
                    var (line, column) = _lines.Locate(buffer, bufferStart, tokenStart);
                    local.Add(Codes.NotFeatureCollection, _path, line, column, "'features' is not an array");
                    _stop = true;
                    return;
                }
                _sawFeatures = true;
                inner = Frame.Features;
                break;
            case Frame.Root when prop == Prop.Crs && !isArray:
                inner = Frame.Crs;
                break;
            case Frame.Crs when prop == Prop.Properties && !isArray:
                inner = Frame.CrsProperties;
                break;
            case Frame.Features:
                _at = _lines.Locate(buffer, bufferStart, tokenStart);
                _featureCount++;
                if (isArray)
                {
                    _wrongGeometry.Add(_at.Line, _at.Column, $"Feature {_featureCount} is an array, not a GeoJSON Feature object.");
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

    private void OnEnd(Frame closed)
    {
        switch (closed)
        {
            case Frame.Coordinates:
                if (_numbersInPosition > 0)
                {
                    if (_numbersInPosition is < 2 or > 3) _coordinatesBad = true;
                    // The level of the array that held the numbers: set by OnValue.
                    _positions++;
                    _numbersInPosition = 0;
                }
                break;
            case Frame.Feature:
                EndFeature();
                break;
        }
    }

    private void OnValue(ref Utf8JsonReader reader, Frame frame, int depth, byte[] buffer, long bufferStart, long tokenStart, DiagnosticBag local)
    {
        var prop = _props[depth];
        var token = reader.TokenType;
        switch (frame)
        {
            case Frame.Document:
                local.Add(Codes.NotFeatureCollection, _path, 1, 1, "the top-level value is not an object");
                _stop = true;
                return;
            case Frame.Root when prop == Prop.Type:
                _rootType = token == JsonTokenType.String ? reader.GetString() : "(not a string)";
                _rootTypeAt = _lines.Locate(buffer, bufferStart, tokenStart);
                return;
            case Frame.Root when prop == Prop.Features:
                var at = _lines.Locate(buffer, bufferStart, tokenStart);
                local.Add(Codes.NotFeatureCollection, _path, at.Line, at.Column, "'features' is not an array");
                _stop = true;
                return;
            case Frame.Root when prop == Prop.Crs && token == JsonTokenType.String:
            case Frame.CrsProperties when prop == Prop.Name:
                CheckCrs(token == JsonTokenType.String ? reader.GetString() : null, _lines.Locate(buffer, bufferStart, tokenStart), local);
                return;
            case Frame.Features:
                _at = _lines.Locate(buffer, bufferStart, tokenStart);
                _featureCount++;
                _wrongGeometry.Add(_at.Line, _at.Column, $"Feature {_featureCount} is not a GeoJSON Feature object.");
                return;
            case Frame.Feature when prop == Prop.Geometry && token == JsonTokenType.Null:
                _geometryNull = true;
                return;
            case Frame.Geometry when prop == Prop.Type:
                _geometryType = token == JsonTokenType.String ? reader.GetString() : "(not a string)";
                return;
            case Frame.Coordinates:
                OnCoordinate(ref reader, depth);
                return;
            case Frame.Properties:
                OnProperty(ref reader, prop);
                return;
        }
    }

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
            _coordinateProblem ??= $"coordinate {Encoding.UTF8.GetString(reader.ValueSpan)} is not a finite number";
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

    private void OnProperty(ref Utf8JsonReader reader, Prop prop)
    {
        var present = reader.TokenType != JsonTokenType.Null;
        switch (prop)
        {
            case Prop.Index: _index.Read(ref reader); break;
            case Prop.A: _a.Read(ref reader); break;
            case Prop.B: _b.Read(ref reader); break;
            case Prop.TripId: _hasTripId = present; break;
            case Prop.LinkSequence: _hasLinkSequence = present; break;
            case Prop.Time when present: _display |= Display.Time; break;
            case Prop.Headway when present: _display |= Display.Headway; break;
            case Prop.Length when present: _display |= Display.Length; break;
            case Prop.Speed when present: _display |= Display.Speed; break;
        }
    }

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

        public void Clear() => Present = false;

        public void Read(ref Utf8JsonReader reader)
        {
            Present = reader.TokenType is JsonTokenType.String or JsonTokenType.Number;
            if (!Present) return;
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

    private void CheckCrs(string? name, (int Line, int Column) at, DiagnosticBag local)
    {
        if (name is not null && Array.Exists(GeographicCrs, g => string.Equals(g, name, StringComparison.OrdinalIgnoreCase))) return;
        local.Add(Codes.ProjectedCrs, _path, at.Line, at.Column,
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
        var (line, column) = _at;
        string Name() => _index.Present ? $"{Noun} '{_index}'" : $"{Noun} {_featureCount}";
        var expected = _layer == NetworkLayer.Nodes ? "Point" : "LineString";

        if (!_hasGeometry || _geometryNull)
            _wrongGeometry.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}) has no geometry; {Noun}s must be {expected}s.");
        else if (_geometryType != expected)
            _wrongGeometry.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}) is a {_geometryType ?? "geometry without type"}; {Noun}s must be {expected}s.");
        else if (!_hasCoordinates || _coordinatesBad || !ShapeMatches(expected))
            _badCoordinates.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}): coordinates are not a valid {expected} ({Shape(expected)}).");
        else if (_coordinateProblem is not null)
            _badCoordinates.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}): {_coordinateProblem}.");

        if (!_index.Present)
        {
            _missingIndex.Add(line, column, $"Feature {_featureCount} has no properties.index (a string or number, unique in the file).");
        }
        else if (_indexes.Add(_index.Hash, _featureCount) is var first and > 0)
        {
            _duplicateIndex.Add(line, column, $"Feature {_featureCount} has index '{_index}', already used by feature {first}.");
        }

        if (_layer != NetworkLayer.Links) return;

        if (!_a.Present || !_b.Present)
        {
            var missing = !_a.Present && !_b.Present ? "'a' and 'b'" : !_a.Present ? "'a'" : "'b'";
            _missingEndpoint.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}) has no {missing}: the indexes of the nodes it joins.");
        }
        if (_nodes is not null)
        {
            if (_a.Present && !_nodes.Contains(_a.Hash))
                _danglingEndpoint.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}): a = '{_a}' is not a node of {_nodesFile}.");
            if (_b.Present && !_nodes.Contains(_b.Hash))
                _danglingEndpoint.Add(line, column, $"{Capitalised(Name())} (feature {_featureCount}): b = '{_b}' is not a node of {_nodesFile}.");
        }
        if (_isPt && (!_hasTripId || !_hasLinkSequence))
        {
            var missing = !_hasTripId && !_hasLinkSequence ? "'trip_id' and 'link_sequence'" : !_hasTripId ? "'trip_id'" : "'link_sequence'";
            _missingPt.Add(line, column, $"Pt {Name()} (feature {_featureCount}) has no {missing}.");
        }
        for (var bit = 0; bit < 4; bit++)
        {
            var flag = (Display)(1 << bit);
            if ((_expectedDisplay & flag) != 0 && (_display & flag) == 0 && _displayMissing[bit]++ == 0)
                _displayFirst[bit] = _featureCount;
        }
    }

    private void ReportDisplay(DiagnosticBag local)
    {
        for (var bit = 0; bit < 4; bit++)
        {
            if (_displayMissing[bit] == 0) continue;
            var attribute = ((Display)(1 << bit)).ToString().ToLowerInvariant();
            local.Add(Codes.MissingDisplayAttribute, _path, 0, 0, _displayMissing[bit], _featureCount, attribute, _displayFirst[bit]);
        }
    }

    private bool ShapeMatches(string expected) => expected == "Point"
        ? _positionLevel == 1 && _positions == 1
        : _positionLevel == 2 && _positions >= 2;

    private static string Shape(string expected) => expected == "Point"
        ? "[longitude, latitude]"
        : "an array of at least two [longitude, latitude] positions";

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
