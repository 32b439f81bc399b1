namespace Quetzal.Sdk.Core;

/// <summary>A size as a person reads it in the SDK's messages: 512 B, 3.4 KB, 20.3 MB, 1.25 GB.</summary>
public static class Bytes
{
    public static string Format(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.#} KB",
        < 1L << 30 => $"{bytes / 1048576.0:0.#} MB",
        _ => $"{bytes / 1073741824.0:0.##} GB",
    };
}
