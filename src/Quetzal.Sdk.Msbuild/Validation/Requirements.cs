using Quetzal.Sdk.Core;
namespace Quetzal.Sdk.Validation;

/// <summary>What a model's requirements.txt (pip's format) says it installs into the image.</summary>
public static class Requirements
{
    /// <summary>Packages that bring nbconvert with them (the Jupyter meta-packages depend on it).</summary>
    private static readonly HashSet<string> NbconvertProviders = ["nbconvert", "jupyter", "notebook", "jupyterlab"];

    /// <summary>
    /// Whether the image will have nbconvert: requirements.txt names it or a package that depends on it. A file that
    /// includes others (-r, -c) is taken to provide it, as what those hold is not read here.
    /// </summary>
    public static bool ProvideNbconvert(string modelDirectory)
    {
        string[] lines;
        try
        {
            lines = ModelFiles.ReadAllLines(Path.Combine(modelDirectory, "requirements.txt"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        foreach (var raw in lines)
        {
            var line = raw.Split('#')[0].Trim();
            if (line.StartsWith("-r", StringComparison.Ordinal) || line.StartsWith("-c", StringComparison.Ordinal)
                || line.StartsWith("--requirement", StringComparison.Ordinal) || line.StartsWith("--constraint", StringComparison.Ordinal))
                return true;
            if (NbconvertProviders.Contains(Name(line))) return true;
        }
        return false;
    }

    /// <summary>A requirement's project name, normalised as pip compares them (PEP 503): "NBConvert[webpdf]>=7" is "nbconvert".</summary>
    public static string Name(string requirement)
    {
        var end = requirement.AsSpan().IndexOfAny("[<>=!~;@ \t");
        var name = end < 0 ? requirement : requirement[..end];
        return name.Trim().ToLowerInvariant().Replace('_', '-').Replace('.', '-');
    }
}
