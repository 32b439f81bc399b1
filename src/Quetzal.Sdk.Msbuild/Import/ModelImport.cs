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
    string ModelName, string Region, int MemorySize, int Timeout, int StorageSize, string BaseImage, string? LibraryPath = null);

/// <summary>What the conversion of the original state machine did, for the import's summary.</summary>
public sealed record StateMachineConversion(IReadOnlyList<Diagnostic> Diagnostics, string Said);

/// <summary>
/// The original Dockerfile, line by line: what settings now cover (the base image, the quetzal library, system
/// packages, environment variables, pip packages), what the generated Dockerfile does itself (with why), and the
/// lines nothing covers.
/// </summary>
public sealed record DockerfileReading
{
    public string? BaseImage { get; set; }
    public (string Line, string Source)? Library { get; set; }
    public List<string> SystemPackages { get; } = [];
    public List<string> PackageLines { get; } = [];
    public List<KeyValuePair<string, string>> Environment { get; } = [];
    public List<string> EnvironmentLines { get; } = [];
    public List<string> PipPackages { get; } = [];
    public List<string> PipLines { get; } = [];
    public List<(string Line, string Why)> Covered { get; } = [];
    public List<string> Extra { get; } = [];
}

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

        // What the import did with each file and setting of the old model, said at the end.
        var summary = new List<string>();
        var envFile = Path.Combine(from, ".env");
        var env = ReadEnv(envFile);
        var (tfvars, tfvarsUnread) = request.TfvarsFile is { } t && File.Exists(t) ? ReadTfvarsWithUnread(t) : (new Dictionary<string, string>(), []);
        if (env.Keys.Any(IsSecret))
            diagnostics.Add(Codes.ImportSecretsLeft.Create(envFile));

        // Names: Terraform's model name, else the .env's (the folder name in QUETZAL_MODEL_NAME is a folder's, not the resources').
        var model = tfvars.GetValueOrDefault("quetzal_model_name") ?? env.GetValueOrDefault("AWS_ECR_REPO_NAME") ?? env.GetValueOrDefault("AWS_BUCKET_NAME")
            ?? env.GetValueOrDefault("AWS_LAMBDA_FUNCTION_NAME") ?? request.ModelName;
        var function = env.GetValueOrDefault("AWS_LAMBDA_FUNCTION_NAME") ?? model;
        var settings = new List<(string Property, string Value)>();
        string Set(string property, string? value, string? current)
        {
            if (value is null) return "";
            if (value == current) return $"{property} (already {value}: nothing to write)";
            settings.RemoveAll(s => s.Property == property);
            settings.Add((property, value));
            return $"{property} = {value}";
        }
        var region = tfvars.GetValueOrDefault("aws_region") ?? env.GetValueOrDefault("AWS_REGION") ?? env.GetValueOrDefault("AWS_DEFAULT_REGION");
        var fargate = tfvars.Keys.Any(k => k.StartsWith("ecs_", StringComparison.Ordinal));

        // The .env, key by key.
        foreach (var (key, value) in env.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var did = key switch
            {
                "QUETZAL_MODEL_NAME" => "the old folder's name, which the build context needed (the SDK sends the model folder alone): not needed",
                "AWS_ECR_REPO_NAME" => Set("QuetzalEcrRepositoryName", value, model),
                "AWS_BUCKET_NAME" => Set("QuetzalBucketName", value, model),
                "AWS_LAMBDA_FUNCTION_NAME" => Set("QuetzalLambdaFunctionName", value, model),
                "AWS_REGION" or "AWS_DEFAULT_REGION" => tfvars.ContainsKey("aws_region") ? "the tfvars' aws_region wins" : Set("QuetzalAwsRegion", value, request.Region),
                "AWS_PROFILE" => Set("QuetzalAwsProfile", value, null),
                _ when IsSecret(key) => "left behind (QTZ1404)",
                _ => null,
            };
            if (did is null) diagnostics.Add(Codes.ImportSettingDropped.Create(envFile, $"{key} in .env", key,
                "the SDK has no setting of that name; if a step reads it, set it for the function (QuetzalImageEnvironment puts it into the image)"));
            summary.Add($".env {key}: {(did is null ? "not imported (QTZ1406)" : did)}");
        }

        // The infra's tfvars, variable by variable.
        foreach (var (key, value) in tfvars.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var did = key switch
            {
                "quetzal_model_name" => Set("QuetzalModelName", value, request.ModelName),
                "aws_region" => Set("QuetzalAwsRegion", value, request.Region),
                "lambda_memory_size" => Set("QuetzalLambdaMemorySize", value, request.MemorySize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "lambda_time_limit" => Set("QuetzalLambdaTimeout", value, request.Timeout.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "lambda_storage_size" => Set("QuetzalLambdaStorageSize", value, request.StorageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "ecs_cpu_units" => Set("QuetzalEcsCpu", value, null),
                "ecs_memory_size" => Set("QuetzalEcsMemory", value, null),
                "ecs_time_limit" => Set("QuetzalEcsTimeLimit", value, null),
                "ecs_storage_size" => Set("QuetzalEcsStorage", value, null),
                "cognito_identity_pool_id" => Set("QuetzalCognitoIdentityPoolId", value, null),
                _ => null,
            };
            if (did is null) diagnostics.Add(Codes.ImportSettingDropped.Create(request.TfvarsFile, $"{key} in the tfvars", $"{key} = {value}", "the SDK has no setting it maps to"));
            summary.Add($"tfvars {key}: {(did is null ? "not imported (QTZ1406)" : did)}");
        }
        foreach (var key in tfvarsUnread)
        {
            diagnostics.Add(Codes.ImportSettingDropped.Create(request.TfvarsFile, $"{key} in the tfvars", key, "its value is not a string or a number, which the import reads; set what it means in the project by hand"));
            summary.Add($"tfvars {key}: not imported (QTZ1406)");
        }
        if (fargate)
            summary.Add("tfvars ecs_*: a container model: its steps run on Fargate; set QuetzalEcsSubnets and QuetzalEcsSecurityGroups (docs/fargate.md: infra/ makes no VPC)");

        // Code and data: the template's samples give way to the model's own.
        var hasScenarios = Directory.Exists(Path.Combine(from, "scenarios")) || Directory.Exists(Path.Combine(from, "inputs"));
        if (hasScenarios && Directory.Exists(Path.Combine(to, "scenarios"))) Directory.Delete(Path.Combine(to, "scenarios"), recursive: true);
        foreach (var step in TemplateSteps.Where(s => !File.Exists(Path.Combine(from, s)) && File.Exists(Path.Combine(to, s))))
            File.Delete(Path.Combine(to, step));
        if (Directory.Exists(Path.Combine(to, "steps")) && !Directory.EnumerateFileSystemEntries(Path.Combine(to, "steps")).Any())
            Directory.Delete(Path.Combine(to, "steps"));
        var copied = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (path, relative) in Files(from))
        {
            // A model without scenarios/ kept its one scenario's inputs at its root: that is base.
            var target = relative.StartsWith("inputs/", StringComparison.Ordinal) && !Directory.Exists(Path.Combine(from, "scenarios"))
                ? "scenarios/base/" + relative : relative;
            var destination = Path.Combine(to, target);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(path, destination, overwrite: true);
            var top = target.Contains('/') ? target[..(target.IndexOf('/') + 1)] : target;
            copied[top] = copied.GetValueOrDefault(top) + 1;
        }
        log.Info($"Quetzal: imported {copied.Values.Sum()} files from {from}");
        summary.Insert(0, $"files copied: {(copied.Count == 0 ? "none" : string.Join(", ", copied.Select(c => c.Key.EndsWith('/') ? $"{c.Key} {c.Value}" : c.Key)))}");

        var machine = Path.Combine(from, "step-functions.json");
        if (File.Exists(machine))
        {
            var converted = ConvertStateMachine(machine, Path.Combine(to, "step-functions.json"), function, fargate);
            diagnostics.AddRange(converted.Diagnostics);
            summary.Add($"step-functions.json: {converted.Said}");
        }

        var dockerfile = Path.Combine(from, "Dockerfile");
        if (File.Exists(dockerfile))
        {
            var read = ReadDockerfileLines(dockerfile);
            var said = new List<string>();
            if (read.BaseImage is not null) said.Add("FROM: " + Set("QuetzalBaseImage", read.BaseImage, request.BaseImage));
            if (read.Library is { } library)
            {
                // The original built from the folder above the model: its COPY sources are there.
                var source = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(from)!, library.Source));
                var checkout = Directory.Exists(Path.Combine(source, "quetzal"));
                if (checkout)
                {
                    var relative = Path.GetRelativePath(to, source).Replace('\\', '/');
                    said.Add($"{library.Line}: " + Set("QuetzalLibraryPath", relative, request.LibraryPath));
                }
                else
                {
                    diagnostics.Add(Codes.ImportLibraryMissing.Create(request.ProjectFile, library.Line, source,
                        Directory.Exists(source) ? "which holds no 'quetzal' package folder" : "which is not a folder here"));
                    said.Add($"{library.Line}: QuetzalLibraryPath not set (QTZ1405)");
                }
            }
            if (read.SystemPackages.Count > 0)
                said.Add($"{string.Join(" | ", read.PackageLines)}: " + Set("QuetzalSystemPackages", string.Join(' ', read.SystemPackages), null));
            if (read.Environment.Count > 0)
                said.Add($"{string.Join(" | ", read.EnvironmentLines)}: " + Set("QuetzalImageEnvironment", string.Join(';', read.Environment.Select(e => $"{e.Key}={e.Value}")), null));
            if (read.PipPackages.Count > 0)
            {
                var requirements = Path.Combine(to, "requirements.txt");
                var existing = File.Exists(requirements) ? File.ReadAllLines(requirements).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal) : [];
                var added = read.PipPackages.Where(p => !existing.Contains(p)).ToList();
                if (added.Count > 0)
                {
                    var text = File.Exists(requirements) ? File.ReadAllText(requirements) : "";
                    if (text.Length > 0 && !text.EndsWith('\n')) text += "\n";
                    File.WriteAllText(requirements, text + "# From the original Dockerfile's pip install.\n" + string.Join("\n", added) + "\n");
                }
                said.Add($"{string.Join(" | ", read.PipLines)}: in requirements.txt ({string.Join(", ", read.PipPackages)})");
            }
            said.AddRange(read.Covered.Select(c => $"{c.Line}: {c.Why}"));
            if (read.Extra.Count > 0)
            {
                File.WriteAllText(Path.Combine(to, "Dockerfile"), OwnDockerfile(read.BaseImage ?? request.BaseImage, read.Extra, File.Exists(Path.Combine(to, "requirements.txt"))));
                diagnostics.Add(Codes.ImportDockerfileKept.Create(Path.Combine(to, "Dockerfile"), string.Join(" | ", read.Extra)));
                said.Add($"{string.Join(" | ", read.Extra)}: no setting covers it: kept in a Dockerfile of yours (QTZ1403)");
            }
            summary.Add("Dockerfile: " + string.Join("; ", said));
        }
        foreach (var ignore in new[] { "Dockerfile.dockerignore", ".dockerignore" }.Where(n => File.Exists(Path.Combine(from, n))))
            summary.Add($"{ignore}: not needed: the SDK sends the model folder alone, and its generated .dockerignore leaves out scenarios, caches, checkpoints, version control and secrets (add a line to a .dockerignore of yours for more)");
        foreach (var name in Directory.EnumerateFiles(from, ".env.*").Select(Path.GetFileName))
            summary.Add($"{name}: left behind (a model folder holds no credentials)");

        WriteSettings(request.ProjectFile, settings);
        log.Info($"Quetzal: what the import did with each file and setting of {from}:");
        foreach (var line in summary) log.Info("  " + line);
        return diagnostics;
    }

    private static bool IsSecret(string key)
        => key.StartsWith("AWS_ACCESS_KEY", StringComparison.Ordinal) || key.StartsWith("AWS_SECRET", StringComparison.Ordinal) || key == "AWS_SESSION_TOKEN";

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

    [GeneratedRegex(@"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", RegexOptions.Multiline)]
    private static partial Regex TfvarsAssignment();

    /// <summary>The values the import reads, and the names of the variables it cannot read (lists, maps, booleans, expressions).</summary>
    public static (Dictionary<string, string> Values, IReadOnlyList<string> Unread) ReadTfvarsWithUnread(string path)
    {
        var values = ReadTfvars(path);
        var unread = TfvarsAssignment().Matches(File.ReadAllText(path)).Select(m => m.Groups[1].Value)
            .Where(name => !values.ContainsKey(name)).Distinct(StringComparer.Ordinal).ToList();
        return (values, unread);
    }

    /// <summary>
    /// The original step-functions.json made the SDK's: '#' comments removed, the bare placeholder (and any of the
    /// original templates') replaced by the SDK's, the model's own function's ARN by ${LambdaFunctionArn}, and the
    /// account and region of every other ARN by ${AwsAccountId} and ${AwsRegion}.
    /// </summary>
    public static IReadOnlyList<Diagnostic> ConvertStateMachine(string source, string destination, string functionName)
        => ConvertStateMachine(source, destination, functionName, fargate: false).Diagnostics;

    /// <param name="fargate">A container model of the backend (ecs_* in its tfvars): its steps on the model's function run on Fargate instead.</param>
    public static StateMachineConversion ConvertStateMachine(string source, string destination, string functionName, bool fargate)
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
            return new([Codes.ImportStateMachineUnconverted.Create(destination, syntax.Line, syntax.Column, syntax.Message)], "copied as it is: still not JSON (QTZ1402)");
        }
        root = Rewrite(root!, functionName);
        var moved = fargate && root is JsonObject machine ? OnFargate(machine) : [];
        File.WriteAllText(destination, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        return new([], "converted (comments removed; the function's ARN is ${LambdaFunctionArn}, other ARNs take ${AwsRegion} and ${AwsAccountId})"
            + (moved.Count > 0 ? $"; on Fargate, as the container model ran them: {string.Join(", ", moved)}" : ""));
    }

    /// <summary>
    /// The Lambda Tasks of the model's own function made Fargate Tasks (the SDK completes the RunTask request): the
    /// step's notebook_path stays, the Lambda payload's plumbing and OutputPath go, Lambda's retries give way to
    /// RunTask's everyday fault. Returns the states moved.
    /// </summary>
    private static List<string> OnFargate(JsonObject machine)
    {
        var moved = new List<string>();
        if (machine["States"] is not JsonObject states) return moved;
        foreach (var (name, node) in states.ToList())
        {
            if (node is not JsonObject state) continue;
            foreach (var branch in (state["Branches"] as JsonArray ?? []).OfType<JsonObject>()) moved.AddRange(OnFargate(branch));
            foreach (var inner in new[] { state["Iterator"], state["ItemProcessor"] }.OfType<JsonObject>()) moved.AddRange(OnFargate(inner));
            if ((string?)state["Type"] != "Task" || state["Parameters"] is not JsonObject parameters) continue;
            var invoke = (string?)state["Resource"] == "arn:aws:states:::lambda:invoke" && ((string?)parameters["FunctionName"])?.StartsWith("${LambdaFunctionArn}", StringComparison.Ordinal) == true;
            var direct = ((string?)state["Resource"])?.StartsWith("${LambdaFunctionArn}", StringComparison.Ordinal) == true;
            var payload = invoke ? parameters["Payload"] as JsonObject : direct ? parameters : null;
            if (payload?["notebook_path"] is not JsonValue notebook) continue;
            state["Resource"] = Fargate.RunTaskSync;
            state["Parameters"] = new JsonObject { ["notebook_path"] = notebook.DeepClone() };
            if ((string?)state["OutputPath"] == "$.Payload") state.Remove("OutputPath");
            var retry = new JsonArray();
            foreach (var retrier in (state["Retry"] as JsonArray ?? []).OfType<JsonObject>())
                if (!(retrier["ErrorEquals"] as JsonArray ?? []).All(e => ((string?)e)?.StartsWith("Lambda.", StringComparison.Ordinal) == true))
                    retry.Add(retrier.DeepClone());
            retry.Add(LinearWorkflow.FaultRetry.Fargate.Retrier());
            state["Retry"] = retry;
            moved.Add(name);
        }
        return moved;
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

    /// <summary>Lines of the original Dockerfile (written for the parent folder as context) that the generated one does for itself, with why.</summary>
    private static string? Covered(string line) => line switch
    {
        _ when Regex.IsMatch(line, @"^(ARG|ENV)\s+QUETZAL_MODEL_NAME\b", RegexOptions.IgnoreCase) => "the old folder's name, for the parent-folder build: not needed",
        _ when Regex.IsMatch(line, @"^COPY\s+.*requirements\.txt", RegexOptions.IgnoreCase) => "the generated Dockerfile copies requirements.txt",
        _ when Regex.IsMatch(line, @"^RUN\s+(python3?\s+-m\s+)?pip3?\s+install\b.*\s(-r|--requirement)\s", RegexOptions.IgnoreCase) => "the generated Dockerfile installs requirements.txt",
        _ when Regex.IsMatch(line, @"^ENV\s+(PATH|PYTHONPATH)\b.*LAMBDA_TASK_ROOT", RegexOptions.IgnoreCase) => "Lambda's task root is on the path already",
        _ when Regex.IsMatch(line, @"^COPY\s+\S*main\.py\b", RegexOptions.IgnoreCase) => "the original handler: the SDK's runner (quetzal_handler) replaces it",
        _ when Regex.IsMatch(line, @"^COPY\s+\.?/?\$\{?QUETZAL_MODEL_NAME\}?/?\s", RegexOptions.IgnoreCase) => "the generated Dockerfile copies the model's code",
        _ when Regex.IsMatch(line, @"^(CMD|ENTRYPOINT)\b", RegexOptions.IgnoreCase) => "the SDK's runner is the handler",
        _ when Regex.IsMatch(line, @"^WORKDIR\b", RegexOptions.IgnoreCase) => "the runner runs each step in its own folder",
        _ => null,
    };

    /// <summary>Only the first reading's lines, for tests: the base image and what no setting covers.</summary>
    public static (string? BaseImage, IReadOnlyList<string> Extra) ReadDockerfile(string path)
    {
        var read = ReadDockerfileLines(path);
        return (read.BaseImage, read.Extra);
    }

    public static DockerfileReading ReadDockerfileLines(string path)
    {
        var read = new DockerfileReading();
        var instruction = new StringBuilder();
        foreach (var raw in File.ReadAllLines(path).Append(""))
        {
            var line = raw.Trim();
            if (instruction.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            instruction.Append(line.TrimEnd('\\').Trim()).Append(' ');
            if (line.EndsWith('\\')) continue;
            var text = Regex.Replace(instruction.ToString().Trim(), @"\s+", " ");
            instruction.Clear();
            if (text.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)) read.BaseImage = text[5..].Trim().Split(' ')[0];
            else if (Covered(text) is { } why) read.Covered.Add((text, why));
            else if (LibraryCopy().Match(text) is { Success: true } library) read.Library = (text, library.Groups["source"].Value);
            else if (SystemPackages(text) is { } packages)
            {
                read.PackageLines.Add(text);
                read.SystemPackages.AddRange(packages.Where(p => !read.SystemPackages.Contains(p)));
            }
            else if (EnvironmentOf(text) is { } variables)
            {
                read.EnvironmentLines.Add(text);
                read.Environment.AddRange(variables);
            }
            else if (PipPackages(text) is { } pip)
            {
                read.PipLines.Add(text);
                read.PipPackages.AddRange(pip.Where(p => !read.PipPackages.Contains(p)));
            }
            else read.Extra.Add(text);
        }
        return read;
    }

    [GeneratedRegex(@"^COPY\s+(?<source>\.?/?quetzal)/?\s+\S+$", RegexOptions.IgnoreCase)]
    private static partial Regex LibraryCopy();

    /// <summary>The packages of a RUN that only installs system packages (yum/dnf/microdnf/apt-get/apk, with their update and clean-up), else null.</summary>
    private static List<string>? SystemPackages(string line)
    {
        if (!line.StartsWith("RUN ", StringComparison.OrdinalIgnoreCase)) return null;
        var packages = new List<string>();
        foreach (var part in line[4..].Split(["&&", ";"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (words.Count > 0 && words[0] == "sudo") words.RemoveAt(0);
            if (words.Count == 0) continue;
            var manager = words[0];
            if (manager is "yum" or "dnf" or "microdnf" or "apt-get" or "apt" or "apk")
            {
                var verb = words.Skip(1).FirstOrDefault(w => !w.StartsWith('-'));
                if (verb is "install" or "add")
                    packages.AddRange(words.SkipWhile(w => w != verb).Skip(1).Where(w => !w.StartsWith('-')));
                else if (verb is not ("clean" or "update" or "makecache" or "upgrade"))
                    return null;
            }
            else if (!(manager == "rm" && words.Skip(1).All(w => w.StartsWith('-') || w.StartsWith("/var/cache/", StringComparison.Ordinal) || w.StartsWith("/var/lib/apt/lists", StringComparison.Ordinal))))
                return null;
        }
        return packages.Count > 0 && packages.All(p => Regex.IsMatch(p, @"^[A-Za-z0-9][A-Za-z0-9._+:~@=-]*$")) ? packages : null;
    }

    /// <summary>The variables of an ENV line (NAME=value pairs or the old NAME value form), else null.</summary>
    private static List<KeyValuePair<string, string>>? EnvironmentOf(string line)
    {
        if (!line.StartsWith("ENV ", StringComparison.OrdinalIgnoreCase)) return null;
        var body = line[4..].Trim();
        var pairs = new List<KeyValuePair<string, string>>();
        if (!body.Contains('=') || Regex.IsMatch(body, @"^[A-Za-z_][A-Za-z0-9_]*\s+[^=]*$"))
        {
            var space = body.IndexOf(' ');
            if (space <= 0) return null;
            pairs.Add(new(body[..space], Unquote(body[(space + 1)..].Trim())));
            return pairs;
        }
        foreach (Match match in Regex.Matches(body, @"([A-Za-z_][A-Za-z0-9_]*)=(""(?:[^""\\]|\\.)*""|'[^']*'|\S*)"))
            pairs.Add(new(match.Groups[1].Value, Unquote(match.Groups[2].Value)));
        return pairs.Count > 0 && pairs.All(p => !p.Value.Contains(';')) ? pairs : null;
    }

    private static string Unquote(string value)
        => value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : value;

    /// <summary>The packages of a pip install of named packages (no requirements file, no other index), else null.</summary>
    private static List<string>? PipPackages(string line)
    {
        var match = Regex.Match(line, @"^RUN\s+(?:python3?\s+-m\s+)?pip3?\s+install\s+(?<rest>.+)$", RegexOptions.IgnoreCase);
        if (!match.Success || match.Groups["rest"].Value.Contains("&&", StringComparison.Ordinal)) return null;
        var words = match.Groups["rest"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var packages = new List<string>();
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i];
            if (word is "-t" or "--target") { i++; continue; }
            if (word.StartsWith("--target=", StringComparison.Ordinal) || word is "--no-cache-dir" or "-U" or "--upgrade" or "-q" or "--quiet" or "--no-deps") continue;
            if (word.StartsWith('-')) return null; // an index, a constraints file, an editable install: beyond a requirement line
            packages.Add(word.Trim('"', '\''));
        }
        return packages.Count > 0 ? packages : null;
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
        File.WriteAllText(projectFile, document.ToString(SaveOptions.DisableFormatting).TrimEnd() + "\n");
    }
}
