using System.Security.Cryptography;

namespace Quetzal.Sdk.Container;

/// <summary>
/// What the image last published from this folder was made of (obj/quetzal/image-inputs.tsv): its tag, its base
/// image, and each file's size, write time and SHA-256. A publish whose image is new names the files that changed
/// since (and a changed base image), instead of only "new"; the hashes tell an edit from a touch. Kept best effort:
/// without a record (a first publish, another machine) the plan says nothing of what changed.
/// </summary>
public sealed class ImageInputs
{
    private const string Header = "# Quetzal.Sdk: what the image last published from this folder was made of";

    private readonly Dictionary<string, (long Size, long WriteTicks, string Hash)> _files;

    private ImageInputs(string tag, string baseImage, Dictionary<string, (long, long, string)> files)
    {
        Tag = tag;
        BaseImage = baseImage;
        _files = files;
    }

    public string Tag { get; }
    public string BaseImage { get; }

    /// <summary>The record kept for this folder's model, or null (none, unreadable, or from another format).</summary>
    public static ImageInputs? Load(string? path)
    {
        try
        {
            if (path is null || !File.Exists(path)) return null;
            string? tag = null, baseImage = "";
            var files = new Dictionary<string, (long, long, string)>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path))
            {
                var fields = line.Split('\t');
                switch (fields)
                {
                    case ["tag", var t]: tag = t; break;
                    case ["from", var f]: baseImage = f; break;
                    case ["file", var name, var size, var ticks, var hash] when long.TryParse(size, out var s) && long.TryParse(ticks, out var w):
                        files[name] = (s, w, hash);
                        break;
                }
            }
            return tag is null ? null : new ImageInputs(tag, baseImage, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The record of <paramref name="context"/> published as <paramref name="tag"/>: files whose size and write time
    /// are those of <paramref name="previous"/> keep its hash; the others are read.
    /// </summary>
    public static ImageInputs Of(BuildContext context, string tag, ImageInputs? previous)
    {
        var files = new Dictionary<string, (long, long, string)>(StringComparer.Ordinal);
        foreach (var (name, input) in context.Inputs)
            files[name] = (input.Size, input.WriteTicks, previous?.HashIfSame(name, input) ?? Hash(input.Path));
        return new ImageInputs(tag, BaseImageOf(context.DockerfileText), files);
    }

    /// <summary>Writes the record (best effort: without it the next plan only names fewer changes).</summary>
    public void Save(string? path)
    {
        if (path is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Core.GeneratedFiles.WriteIfChanged(path, string.Concat(new[] { Header, $"tag\t{Tag}", $"from\t{BaseImage}" }
                .Concat(_files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"file\t{f.Key}\t{f.Value.Size}\t{f.Value.WriteTicks}\t{f.Value.Hash}"))
                .Select(line => line + "\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// What differs between this record and <paramref name="context"/>, as a user names it: the base image, then the
    /// model's files (steps/road_times.py), the library's (library: quetzal/io.py), the SDK's runner; added files with
    /// "+", removed with "-". Files of the same size and time are taken as unchanged; the others are read and compared.
    /// </summary>
    public IReadOnlyList<string> ChangesTo(BuildContext context)
    {
        var changes = new List<string>();
        var baseImage = BaseImageOf(context.DockerfileText);
        if (baseImage != BaseImage) changes.Add($"base image {Shown(BaseImage)} -> {Shown(baseImage)}");
        var runner = false;
        foreach (var (name, input) in context.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (_files.TryGetValue(name, out var was) && (HashIfSame(name, input) is not null || (was.Size == input.Size && was.Hash == Hash(input.Path)))) continue;
            if (name == "Dockerfile" && baseImage != BaseImage && _files.ContainsKey(name)) continue;
            Add(name, _files.ContainsKey(name) ? "" : "+");
        }
        foreach (var name in _files.Keys.Where(n => !context.Inputs.ContainsKey(n)).Order(StringComparer.Ordinal)) Add(name, "-");
        return changes;

        void Add(string name, string sign)
        {
            if (name.StartsWith(ContainerFiles.SdkContextFolder + "/handler/", StringComparison.Ordinal))
            {
                if (!runner) changes.Add("the SDK's runner (another SDK version)");
                runner = true;
            }
            else changes.Add(sign + DisplayName(name));
        }
    }

    /// <summary>A list of changes for one line: the first few, then how many more.</summary>
    public static string Summary(IReadOnlyList<string> changes, int shown = 6)
        => changes.Count <= shown ? string.Join(", ", changes) : $"{string.Join(", ", changes.Take(shown))} and {changes.Count - shown} more";

    /// <summary>A context name as the user knows the file: the model's relative to its folder, the library's prefixed.</summary>
    public static string DisplayName(string name)
    {
        if (name.StartsWith(ContainerFiles.ModelContextFolder + "/", StringComparison.Ordinal)) return name[(ContainerFiles.ModelContextFolder.Length + 1)..];
        const string library = ContainerFiles.SdkContextFolder + "/library/";
        if (name.StartsWith(library, StringComparison.Ordinal)) return "library: " + name[library.Length..];
        return name;
    }

    private string? HashIfSame(string name, ImageInput input)
        => _files.TryGetValue(name, out var was) && was.Size == input.Size && was.WriteTicks == input.WriteTicks ? was.Hash : null;

    private static string Shown(string image) => image.Length == 0 ? "(none)" : image;

    /// <summary>The image of the Dockerfile's first FROM (the base the model's image starts from).</summary>
    internal static string BaseImageOf(string dockerfile)
    {
        foreach (var raw in dockerfile.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)) continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
            return words.Length > 0 ? words[0] : "";
        }
        return "";
    }

    private static string Hash(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
