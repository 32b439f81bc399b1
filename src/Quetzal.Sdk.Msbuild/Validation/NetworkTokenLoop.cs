using Quetzal.Sdk.Core;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>The buffered token loop: one part of a file read token by token, the buffer refilled from disk (and grown for a long token).</summary>
public static partial class NetworkValidator
{
    /// <summary>One part of a file, read token by token (the whole file when it is read in one pass).</summary>
    private sealed partial class Part
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
}
