using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Import;

/// <summary>What the project had before the import (the template's values: the SDK's defaults unless scaffolded otherwise).</summary>
public sealed record ImportRequest(string From, string ModelDirectory, string ProjectFile, string? TfvarsFile,
    string ModelName, string Region, int MemorySize, int Timeout, int StorageSize, string BaseImage);

/// <summary>
/// Brings a model of the original layout (.env, a Dockerfile for the parent-folder context, a step-functions.json
/// with comments and placeholders, requirements.txt, notebooks, scenarios; its limits in the infra's tfvars) into a
/// scaffolded model folder: code and data copied, settings written into the project where they differ, the state
/// machine converted to the SDK's placeholders, what cannot be converted said with a code. It reads the old folder
/// only, and running it twice gives the same result.
/// </summary>
public static partial class ModelImport
{
    /// <summary>What the import never copies: the old flow's own machinery, secrets, caches and build output.</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        ".env", "Dockerfile", "Dockerfile.dockerignore", ".dockerignore", "step-functions.json", ".git", "__pycache__", ".ipynb_checkpoints",
        "bin", "obj", ".venv", "venv", ".DS_Store",
    };

    /// <summary>The template's sample steps, replaced by the imported model's code.</summary>
    private static readonly string[] TemplateSteps = ["steps/model_io.py", "steps/network_summary.py", "steps/loaded_links.py"];

    public static IReadOnlyList<Diagnostic> Run(ImportRequest request, IPublishLog log)
    {
        var diagnostics = new List<Diagnostic>();
        var from = Path.GetFullPath(request.From);
        if (!Directory.Exists(from)) return [Codes.ImportSourceMissing.Create(request.ProjectFile, from)];
        var to = Path.GetFullPath(request.ModelDirectory);
        if (from == to) return [Codes.ImportSourceMissing.Create(request.ProjectFile, $"{from} (the model folder itself)")];

        var env = ReadEnv(Path.Combine(from, ".env"));
        var tfvars = request.TfvarsFile is { } t && File.Exists(t) ? ReadTfvars(t) : new Dictionary<string, string>();
        if (env.Keys.Any(k => k.StartsWith("AWS_ACCESS_KEY", StringComparison.Ordinal) || k.StartsWith("AWS_SECRET", StringComparison.Ordinal) || k == "AWS_SESSION_TOKEN"))
            diagnostics.Add(Codes.ImportSecretsLeft.Create(Path.Combine(from, ".env")));

        // Names: Terraform's model name, else the .env's (the folder name in QUETZAL_MODEL_NAME is a folder's, not the resources').
        var model = tfvars.GetValueOrDefault("quetzal_model_name") ?? env.GetValueOrDefault("AWS_ECR_REPO_NAME") ?? env.GetValueOrDefault("AWS_BUCKET_NAME")
            ?? env.GetValueOrDefault("AWS_LAMBDA_FUNCTION_NAME") ?? request.ModelName;
        var function = env.GetValueOrDefault("AWS_LAMBDA_FUNCTION_NAME") ?? model;
        var settings = new List<(string Property, string Value)>();
        void Set(string property, string? value, string current)
        {
            if (value is not null && value != current) settings.Add((property, value));
        }
        Set("QuetzalModelName", model, request.ModelName);
        Set("QuetzalEcrRepositoryName", env.GetValueOrDefault("AWS_ECR_REPO_NAME"), model);
        Set("QuetzalBucketName", env.GetValueOrDefault("AWS_BUCKET_NAME"), model);
        Set("QuetzalLambdaFunctionName", env.GetValueOrDefault("AWS_LAMBDA_FUNCTION_NAME"), model);
        Set("QuetzalAwsRegion", tfvars.GetValueOrDefault("aws_region"), request.Region);
        Set("QuetzalLambdaMemorySize", tfvars.GetValueOrDefault("lambda_memory_size"), request.MemorySize.ToString());
        Set("QuetzalLambdaTimeout", tfvars.GetValueOrDefault("lambda_time_limit"), request.Timeout.ToString());
        Set("QuetzalLambdaStorageSize", tfvars.GetValueOrDefault("lambda_storage_size"), request.StorageSize.ToString());

        // Code and data: the template's samples give way to the model's own.
        var hasScenarios = Directory.Exists(Path.Combine(from, "scenarios")) || Directory.Exists(Path.Combine(from, "inputs"));
        if (hasScenarios && Directory.Exists(Path.Combine(to, "scenarios"))) Directory.Delete(Path.Combine(to, "scenarios"), recursive: true);
        foreach (var step in TemplateSteps.Where(s => !File.Exists(Path.Combine(from, s)) && File.Exists(Path.Combine(to, s))))
            File.Delete(Path.Combine(to, step));
        if (Directory.Exists(Path.Combine(to, "steps")) && !Directory.EnumerateFileSystemEntries(Path.Combine(to, "steps")).Any())
            Directory.Delete(Path.Combine(to, "steps"));
        var copied = 0;
        foreach (var (path, relative) in Files(from))
        {
            // A model without scenarios/ kept its one scenario's inputs at its root: that is base.
            var target = relative.StartsWith("inputs/", StringComparison.Ordinal) && !Directory.Exists(Path.Combine(from, "scenarios"))
                ? "scenarios/base/" + relative : relative;
            var destination = Path.Combine(to, target);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(path, destination, overwrite: true);
            copied++;
        }
        log.Info($"Quetzal: imported {copied} files from {from}");

        var machine = Path.Combine(from, "step-functions.json");
        if (File.Exists(machine)) diagnostics.AddRange(ConvertStateMachine(machine, Path.Combine(to, "step-functions.json"), function));

        var dockerfile = Path.Combine(from, "Dockerfile");
        if (File.Exists(dockerfile))
        {
            var (baseImage, extra) = ReadDockerfile(dockerfile);
            Set("QuetzalBaseImage", baseImage, request.BaseImage);
            if (extra.Count > 0)
            {
                File.WriteAllText(Path.Combine(to, "Dockerfile"), OwnDockerfile(baseImage ?? request.BaseImage, extra, File.Exists(Path.Combine(to, "requirements.txt"))));
                diagnostics.Add(Codes.ImportDockerfileKept.Create(Path.Combine(to, "Dockerfile"), string.Join(" | ", extra)));
            }
        }

        WriteSettings(request.ProjectFile, settings);
        foreach (var (property, value) in settings) log.Info($"  {property} = {value}");
        return diagnostics;
    }

    private static IEnumerable<(string Path, string Relative)> Files(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.ReparsePoint };
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", options).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(entry);
                if (Skipped.Contains(name) || name.EndsWith(".pyc", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".quetzalproj", StringComparison.OrdinalIgnoreCase)
                    || name.StartsWith(".env.", StringComparison.Ordinal)) continue;
                if (Directory.Exists(entry)) pending.Push(entry);
                else yield return (entry, Path.GetRelativePath(root, entry).Replace('\\', '/'));
            }
        }
    }

    /// <summary>KEY=VALUE lines; comments, blank lines and quotes dropped.</summary>
    public static Dictionary<string, string> ReadEnv(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return values;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].Trim();
            var equals = line.IndexOf('=');
            if (line.StartsWith('#') || equals <= 0) continue;
            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
            else if (value.IndexOf(" #", StringComparison.Ordinal) is var hash and >= 0) value = value[..hash].Trim();
            if (value.Length > 0) values[line[..equals].Trim()] = value;
        }
        return values;
    }

    /// <summary>The name = value lines of a tfvars file (strings and numbers; what the import reads).</summary>
    public static Dictionary<string, string> ReadTfvars(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in TfvarsLine().Matches(File.ReadAllText(path)))
            values[match.Groups[1].Value] = match.Groups[2].Success ? match.Groups[2].Value : match.Groups[3].Value;
        return values;
    }

    [GeneratedRegex(@"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:""([^""]*)""|([0-9.]+))\s*(?:#.*)?$", RegexOptions.Multiline)]
    private static partial Regex TfvarsLine();

    /// <summary>
    /// The original step-functions.json made the SDK's: '#' comments removed, the bare placeholder (and any of the
    /// original templates') replaced by the SDK's, the model's own function's ARN by ${LambdaFunctionArn}, and the
    /// account and region of every other ARN by ${AwsAccountId} and ${AwsRegion}.
    /// </summary>
    public static IReadOnlyList<Diagnostic> ConvertStateMachine(string source, string destination, string functionName)
    {
        var text = WithoutComments(File.ReadAllText(source));
        text = BarePlaceholder().Replace(text, match => Suggestions.OriginalPlaceholder(match.Value) is { } found ? $"\"{found.Placeholder}\"" : match.Value);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            File.WriteAllText(destination, text);
            var syntax = JsonSyntaxException.From(e);
            return [Codes.ImportStateMachineUnconverted.Create(destination, syntax.Line, syntax.Column, syntax.Message)];
        }
        root = Rewrite(root!, functionName);
        File.WriteAllText(destination, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        return [];
    }

    private static JsonNode Rewrite(JsonNode node, string functionName)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                    if (value is not null) obj[key] = Rewrite(value.DeepClone(), functionName);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is { } item) array[i] = Rewrite(item.DeepClone(), functionName);
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(RewriteText(text, functionName))!;
            default:
                return node;
        }
    }

    /// <summary>One string of the state machine, with the SDK's placeholders where the account's resources were written in.</summary>
    public static string RewriteText(string text, string functionName)
    {
        if (Suggestions.OriginalPlaceholder(text) is { } original) text = text.Replace(original.Written, original.Placeholder);
        return Arn().Replace(text, match =>
        {
            var (service, resource) = (match.Groups["service"].Value, match.Groups["resource"].Value);
            if (service == "lambda" && resource.StartsWith("function:", StringComparison.Ordinal) && resource["function:".Length..].Split(':')[0] == functionName)
            {
                var qualifier = resource["function:".Length..][functionName.Length..];
                return "${LambdaFunctionArn}" + qualifier;
            }
            return $"arn:{match.Groups["partition"].Value}:{service}:${{AwsRegion}}:${{AwsAccountId}}:{resource}";
        });
    }

    [GeneratedRegex(@"arn:(?<partition>aws[a-z-]*):(?<service>[a-z0-9-]+):(?<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?<account>\d{12}):(?<resource>[^""\s]+)")]
    private static partial Regex Arn();

    [GeneratedRegex(@"(?<![""\w])<[A-Za-z][A-Za-z0-9_-]*>(?![""\w])")]
    private static partial Regex BarePlaceholder();

    /// <summary>Text without '#' comments (outside strings), as the original template's "# TO EDIT" lines had them.</summary>
    public static string WithoutComments(string text)
    {
        var result = new StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < text.Length) result.Append(text[++i]);
                else if (c == '"') inString = false;
            }
            else if (c == '"')
            {
                inString = true;
                result.Append(c);
            }
            else if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n') i++;
                if (i < text.Length) result.Append('\n');
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    /// <summary>Lines of the original Dockerfile (written for the parent folder as context) that the generated one does not do for itself.</summary>
    [GeneratedRegex(@"^(FROM\b|ARG\s+QUETZAL_MODEL_NAME|ENV\s+QUETZAL_MODEL_NAME|COPY\s+.*requirements\.txt|RUN\s+(python3?\s+-m\s+)?pip3?\s+install|ENV\s+(PATH|PYTHONPATH)\b|COPY\s+\.?/?quetzal\b|COPY\s+.*main\.py|COPY\s+\.?/?\$\{?QUETZAL_MODEL_NAME|CMD\b|WORKDIR\b)", RegexOptions.IgnoreCase)]
    private static partial Regex KnownDockerLine();

    public static (string? BaseImage, IReadOnlyList<string> Extra) ReadDockerfile(string path)
    {
        string? baseImage = null;
        var extra = new List<string>();
        var instruction = new StringBuilder();
        foreach (var raw in File.ReadAllLines(path).Append(""))
        {
            var line = raw.Trim();
            if (instruction.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            instruction.Append(line.TrimEnd('\\').Trim()).Append(' ');
            if (line.EndsWith('\\')) continue;
            var text = instruction.ToString().Trim();
            instruction.Clear();
            if (text.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)) baseImage = text[5..].Trim().Split(' ')[0];
            else if (!KnownDockerLine().IsMatch(text)) extra.Add(text);
        }
        return (baseImage, extra);
    }

    /// <summary>The generated Dockerfile with the model's extra lines after FROM: no header, so it is the user's (QTZ3001).</summary>
    private static string OwnDockerfile(string baseImage, IReadOnlyList<string> extra, bool requirements)
    {
        var generated = Container.ContainerFiles.Dockerfile(new Container.ContainerSettings { SdkVersion = "import", BaseImage = baseImage, HasRequirements = requirements });
        var lines = generated.Split('\n').SkipWhile(l => l.StartsWith('#')).ToList();
        var from = lines.FindIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        lines.InsertRange(from + 1, ["", "# Imported from the model's original Dockerfile: what the generated one does not do.", .. extra]);
        return "# The model's own Dockerfile (Quetzal.Sdk leaves it alone): the generated one with the original's extra lines.\n" + string.Join("\n", lines);
    }

    /// <summary>Sets the properties in the project's first PropertyGroup, replacing any the template wrote: the same result however often it runs.</summary>
    private static void WriteSettings(string projectFile, IReadOnlyList<(string Property, string Value)> settings)
    {
        if (settings.Count == 0) return;
        var document = XDocument.Load(projectFile, LoadOptions.PreserveWhitespace);
        var group = document.Root!.Elements("PropertyGroup").FirstOrDefault();
        if (group is null)
        {
            group = new XElement("PropertyGroup");
            document.Root.AddFirst(new XText("\n  "), group, new XText("\n"));
        }
        foreach (var (property, value) in settings)
        {
            if (group.Element(property) is { } element) element.Value = value;
            else if (group.Elements().LastOrDefault() is { } last) last.AddAfterSelf(new XText("\n    "), new XElement(property, value));
            else group.Add(new XText("\n    "), new XElement(property, value), new XText("\n  "));
        }
        File.WriteAllText(projectFile, document.ToString(SaveOptions.DisableFormatting) + "\n");
    }
}
