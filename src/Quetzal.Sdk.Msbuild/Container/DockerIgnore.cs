using System.Text;
using System.Text.RegularExpressions;

namespace Quetzal.Sdk.Container;

/// <summary>
/// .dockerignore as the Docker engine reads it: one pattern a line, '#' comments, Go filepath.Match syntax with
/// '**' for any number of folders, '!' for exceptions, the last matching line wins, and a folder that matches
/// excludes everything in it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, string Literal, bool Exclude)> _rules = new();

    public DockerIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclude = !line.StartsWith('!');
            if (!exclude) line = line[1..].Trim();
            line = line.Replace('\\', '/').Trim('/');
            while (line.StartsWith("./", StringComparison.Ordinal)) line = line[2..];
            if (line.Length == 0) continue;
            _rules.Add((new Regex("^" + Translate(line) + "$", RegexOptions.CultureInvariant), Literal(line), exclude));
        }
    }

    public static DockerIgnore Load(string path) => new(File.Exists(path) ? File.ReadAllLines(path) : []);

    /// <summary>Whether a path relative to the context root ('/' separators) stays out of the context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var excluded = false;
        foreach (var (pattern, literal, exclude) in _rules)
        {
            // The pattern's longest run of plain text must be in the path (or in one of its folders, which the path
            // holds): a look at the text rules out nearly every rule for nearly every file, before any regex runs.
            if (excluded == exclude || !relativePath.Contains(literal, StringComparison.Ordinal)) continue;
            if (Matches(pattern, relativePath)) excluded = exclude;
        }
        return excluded;
    }

    /// <summary>A pattern matches the path itself or any of its parent folders.</summary>
    private static bool Matches(Regex pattern, string path)
    {
        if (pattern.IsMatch(path)) return true;
        for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            if (pattern.IsMatch(path[..slash])) return true;
        return false;
    }

    /// <summary>The longest text every path the pattern matches contains (wildcards, sets and '**/' break it).</summary>
    private static string Literal(string pattern)
    {
        var longest = "";
        var run = new StringBuilder();
        void End()
        {
            if (run.Length > longest.Length) longest = run.ToString();
            run.Clear();
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    End();
                    // '**/' may match nothing, its slash included.
                    while (i + 1 < pattern.Length && pattern[i + 1] == '*') i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/' && i > 0 && pattern[i - 1] == '*') i++;
                    break;
                case '?':
                    End();
                    break;
                case '[':
                    End();
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) run.Append('[');
                    else i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    run.Append(pattern[++i]);
                    break;
                default:
                    run.Append(c);
                    break;
            }
        }
        End();
        return longest;
    }

    private static string Translate(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        regex.Append("(.*/)?");
                    }
                    else regex.Append(".*");
                    break;
                case '*': regex.Append("[^/]*"); break;
                case '?': regex.Append("[^/]"); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) { regex.Append("\\["); break; }
                    var set = pattern[(i + 1)..end];
                    regex.Append('[').Append(set.StartsWith('^') || set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default: regex.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return regex.ToString();
    }
}
