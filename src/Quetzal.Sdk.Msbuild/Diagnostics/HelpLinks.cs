namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// Where a code is explained: its heading in the error-code reference shipped with this very SDK (docs/ beside
/// tasks/ in the package; in the repository, the docs/ folder above the build output), as a file URI with the code's
/// anchor. MSBuild carries it as the diagnostic's help link, which an IDE's error list opens.
/// </summary>
public static class HelpLinks
{
    public const string Page = "error-codes.md";

    private static readonly Lazy<string?> PageUri = new(() =>
    {
        var folder = Path.GetDirectoryName(typeof(HelpLinks).Assembly.Location);
        for (var up = 0; folder is not null && up < 8; up++, folder = Path.GetDirectoryName(folder))
        {
            var page = Path.Combine(folder, "docs", Page);
            if (File.Exists(page)) return new Uri(page).AbsoluteUri;
        }
        return null;
    });

    /// <summary>The code's anchor: its heading in the page (<c>### QTZ1104</c> is <c>#qtz1104</c>).</summary>
    public static string Anchor(string code) => code.ToLowerInvariant();

    /// <summary>The link of a code, or null when the SDK's docs are not beside it.</summary>
    public static string? For(string code) => PageUri.Value is { } page ? $"{page}#{Anchor(code)}" : null;
}
