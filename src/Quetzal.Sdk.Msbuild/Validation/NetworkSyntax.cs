using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Quetzal.Sdk.Validation;

/// <summary>What the network reader meets and keeps: the JSON it stands in, the names it knows, an index as read.</summary>
internal static class NetworkSyntax
{
    /// <summary>How deep a network's JSON may nest (a GeoJSON network needs 7).</summary>
    internal const int MaxDepth = 64;

    /// <summary>CRS names that mean longitude/latitude in degrees (what RFC 7946 and Quenedi expect).</summary>
    internal static readonly string[] GeographicCrs =
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
        "EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ];

    internal static int Fill(Stream stream, byte[] buffer, int start)
    {
        var total = 0;
        int read;
        while (start + total < buffer.Length && (read = stream.Read(buffer, start + total, buffer.Length - start - total)) > 0)
            total += read;
        return total;
    }

    internal enum Mode : byte
    {
        /// <summary>From the start of the file.</summary>
        Document,
        /// <summary>From a cut in the features array, as if it opened there.</summary>
        Features,
        /// <summary>From the end of the features array to the end of the file.</summary>
        Tail,
    }

    internal enum Outcome : byte { Running, Completed, Failed, ReachedStop, Overran, EndedFeatures }

    internal enum Frame : byte { None, Document, Root, Features, Feature, Geometry, Coordinates, Properties, Crs, CrsProperties }

    internal enum Prop : byte
    {
        Other, Type, Features, Crs, Geometry, Properties, Coordinates, Index, A, B, TripId, LinkSequence,
        Time, Headway, Length, Speed, Name,
    }

    [Flags]
    internal enum Display : byte { None = 0, Time = 1, Headway = 2, Length = 4, Speed = 8 }

    /// <summary>An index as read: its hash, the feature (numbered in its part), where the feature starts, where the index is.</summary>
    internal readonly record struct IndexRecord(ulong Hash, int Feature, int Line, int Column, long Offset);

    /// <summary>
    /// An index or a node reference of the feature being read: a string (unescaped) or a number (as written), kept as
    /// a hash and its bytes, which become text only if a message needs them. Reused from feature to feature.
    /// </summary>
    internal sealed class Identifier
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
            if (!reader.HasValueSequence && !reader.ValueIsEscaped && (reader.TokenType == JsonTokenType.Number || Utf8.IsValid(reader.ValueSpan)))
            {
                // Nearly always: the bytes as they stand are the text (what CopyString would copy, after the same check).
                reader.ValueSpan.CopyTo(_bytes);
                _length = length;
            }
            else
            {
                _length = reader.TokenType == JsonTokenType.String ? reader.CopyString(_bytes) : CopyRaw(ref reader, _bytes);
            }
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

    internal static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
