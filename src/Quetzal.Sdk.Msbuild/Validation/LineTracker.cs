namespace Quetzal.Sdk.Validation;

/// <summary>
/// Turns absolute byte offsets of a streamed file into line and column. Each byte is counted once
/// (vectorised), as the buffer moves forward, so locating every feature costs one pass over the file.
/// </summary>
internal sealed class LineTracker(long start = 0)
{
    private long _countedTo = start;
    private long _lineStart = start;
    private int _line = 1;

    /// <summary>Counts the lines in <paramref name="buffer"/> (which starts at absolute offset <paramref name="bufferStart"/>) up to <paramref name="to"/>.</summary>
    public void Advance(ReadOnlySpan<byte> buffer, long bufferStart, long to)
    {
        if (to <= _countedTo) return;
        var span = buffer.Slice((int)(_countedTo - bufferStart), (int)(to - _countedTo));
        var newLines = span.Count((byte)'\n');
        if (newLines > 0)
        {
            _line += newLines;
            _lineStart = _countedTo + span.LastIndexOf((byte)'\n') + 1;
        }
        _countedTo = to;
    }

    public (int Line, int Column) Locate(ReadOnlySpan<byte> buffer, long bufferStart, long offset)
    {
        Advance(buffer, bufferStart, offset);
        return (_line, (int)Math.Min(int.MaxValue, offset - _lineStart + 1));
    }
}
