using Quetzal.Sdk.Diagnostics;
using static Quetzal.Sdk.Validation.NetworkSyntax;

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
/// <para>
/// A type each: <see cref="NetworkPartition"/> cuts a large file into parts and merges their results;
/// <see cref="NetworkPart"/> reads one part token by token from a buffer refilled from disk and checks each feature
/// against the rules (<see cref="FeatureRule"/>, each described once); <see cref="NetworkSyntax"/> names what the
/// reader meets.
/// </para>
/// </summary>
public static class NetworkValidator
{
    public const int ListedOffenders = 5;

    /// <summary>The buffer a read starts with (it grows for a longer token, up to <see cref="MaxTokenBytes"/>).</summary>
    public const int DefaultBufferSize = 1 << 20;
    internal const int MaxTokenBytes = 64 << 20;

    /// <summary>The least a part of a file read in parallel holds: smaller files are read in one pass.</summary>
    internal const long MinPartBytes = 16L << 20;

    /// <summary>Validates a nodes file; returns its indexes (feature number by index) when the file could be read to the end.</summary>
    /// <param name="bufferSize">The first read buffer's size (tests make it tiny, so that every token crosses a refill).</param>
    public static NodeIndex? ValidateNodes(string path, bool isPt, DiagnosticBag bag, CancellationToken cancellation = default, int bufferSize = DefaultBufferSize)
        => Validate(new(path, NetworkLayer.Nodes, isPt, null, null, bufferSize), bag, null, cancellation);

    /// <summary>Validates a links file; <paramref name="nodes"/> (null when the nodes could not be read) are what a and b may name.</summary>
    public static bool ValidateLinks(string path, bool isPt, NodeIndex? nodes, string nodesFile, DiagnosticBag bag, CancellationToken cancellation = default, int bufferSize = DefaultBufferSize)
        => Validate(new(path, NetworkLayer.Links, isPt, nodes, nodesFile, bufferSize), bag, null, cancellation) is not null;

    internal sealed record FileRules(string Path, NetworkLayer Layer, bool IsPt, NodeIndex? Nodes, string? NodesFile, int BufferSize = DefaultBufferSize)
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
            var plan = NetworkPartition.Plan(rules, length, count);
            if (plan.Count > 1 && NetworkPartition.ReadInParts(rules, plan, cancellation) is { } read)
                return NetworkPartition.Merge(rules, read, bag);
        }
        var whole = new NetworkPart(rules, Mode.Document, 0, -1);
        whole.Scan(cancellation);
        return NetworkPartition.Merge(rules, [whole], bag);
    }
}
