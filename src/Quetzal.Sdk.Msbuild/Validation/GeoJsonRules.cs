using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// A rule every feature of a network is checked against, whose breaches are listed (the first few, with their
/// positions) and counted: its code, and where it applies. Reported in the order of <see cref="All"/>; duplicate
/// indexes, found across the whole file when the parts are merged, follow <see cref="MissingIndex"/>.
/// </summary>
internal sealed record FeatureRule(int Slot, DiagnosticDescriptor Code, string AppliesTo)
{
    public static readonly FeatureRule WrongGeometry = new(0, Codes.WrongGeometry, "every feature: a GeoJSON Feature whose geometry is a Point (nodes) or a LineString (links)");
    public static readonly FeatureRule BadCoordinates = new(1, Codes.InvalidCoordinates, "every feature: [longitude, latitude] positions in degrees, of the geometry's shape");
    public static readonly FeatureRule MissingIndex = new(2, Codes.MissingIndex, "every feature: properties.index, a string or a number");
    public static readonly FeatureRule MissingEndpoint = new(3, Codes.MissingEndpoint, "links: properties.a and properties.b");
    public static readonly FeatureRule DanglingEndpoint = new(4, Codes.DanglingEndpoint, "links, when their nodes file could be read: a and b are indexes of that file");
    public static readonly FeatureRule MissingPt = new(5, Codes.MissingPtAttribute, "pt links: properties.trip_id and properties.link_sequence");

    public static readonly IReadOnlyList<FeatureRule> All = [WrongGeometry, BadCoordinates, MissingIndex, MissingEndpoint, DanglingEndpoint, MissingPt];
}

/// <summary>The GeoJSON rules: what each token means where it stands, and what a feature must hold once it ends.</summary>
public static partial class NetworkValidator
{
    /// <summary>CRS names that mean longitude/latitude in degrees (what RFC 7946 and Quenedi expect).</summary>
    private static readonly string[] GeographicCrs =
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
        "EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ];

    private sealed partial class Part
    {
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

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
