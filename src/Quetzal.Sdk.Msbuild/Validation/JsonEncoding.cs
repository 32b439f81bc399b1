namespace Quetzal.Sdk.Validation;

/// <summary>What the first bytes of a JSON file say about its encoding.</summary>
public static class JsonEncoding
{
    /// <summary>Returns the number of bytes to skip (a UTF-8 byte order mark), or -1 with a description when the file is not UTF-8.</summary>
    public static int Detect(ReadOnlySpan<byte> head, out string? notUtf8)
    {
        notUtf8 = null;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return 3;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
            notUtf8 = "UTF-32";
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            notUtf8 = "UTF-16";
        // JSON text starts with an ASCII character: a zero byte beside it means UTF-16 or UTF-32 without a mark.
        else if (head.Length >= 2 && (head[0] == 0 || head[1] == 0))
            notUtf8 = "UTF-16 or UTF-32 (no byte order mark)";
        return notUtf8 is null ? 0 : -1;
    }
}
