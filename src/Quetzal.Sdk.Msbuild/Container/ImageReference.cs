namespace Quetzal.Sdk.Container;

/// <summary>The parts of an image reference (<c>host/name@sha256:…</c> or <c>host/name:tag</c>) the publish compares.</summary>
public static class ImageReference
{
    /// <summary>The digest of a reference by digest (<c>sha256:…</c>), or null for one by tag.</summary>
    public static string? DigestOf(string? reference)
        => reference is not null && reference.IndexOf('@') is var at and >= 0 ? reference[(at + 1)..] : null;

    /// <summary>The digest's hex alone, as Lambda's CodeSha256 of an image function says it; null for a reference by tag.</summary>
    public static string? CodeSha256Of(string? reference) => DigestOf(reference)?.Replace("sha256:", "");

    /// <summary>The tag of a reference by tag (repo:v12 → v12), else null.</summary>
    public static string? TagOf(string? reference)
    {
        if (reference is null || reference.Contains('@')) return null;
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? reference[(colon + 1)..] : null;
    }
}
