using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Boundary;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Workflow;

public sealed record LocalRunOptions
{
    /// <summary>The model the build resolved.</summary>
    public required ResolvedModel Model { get; init; }
    public required string Scenario { get; init; }
    public string? Input { get; init; }
    public required string Mode { get; init; }
    /// <summary>The image to run in docker mode; null: the model's, built from the folder.</summary>
    public string? Image { get; init; }
    /// <summary>The workflow ("choice" in Quenedi) whose parameters the default input carries: params.json's <c>model</c>.</summary>
    public string Workflow { get; init; } = Validation.ParamsValidator.DefaultWorkflow;
    /// <summary>The Lambda function's timeout (QuetzalLambdaTimeout), which a Lambda Task's step runs under.</summary>
    public int LambdaTimeout => SettingLimit.LambdaTimeout.Parse(Model.Timeout, Model.ProjectFile);
}

/// <summary>
/// `dotnet run` of a model: the state machine interpreted state by state on one scenario, each Lambda Task run by
/// the SDK's handler and each Fargate Task by its container mode (local Python, or the model's image), a folder
/// standing in for the bucket at the keys S3 holds.
/// </summary>
public sealed class LocalRun(LocalRunOptions options, TextWriter console) : IRunObserver
{
    private readonly Stopwatch _clock = new();
    private int _states;

    public string BucketDirectory => Path.Combine(options.Model.RunDirectory, "bucket");

    public async Task<int> ExecuteAsync(CancellationToken cancellation)
    {
        try
        {
            if (Scenarios.Find(options.Model.ScenarioNames, options.Scenario) is not { } declared)
                throw new QuetzalException(Codes.UnknownScenario, options.Scenario, string.Join(", ", options.Model.ScenarioNames));
            options = options with { Scenario = declared };
            Seed();
            var input = Input();
            var machine = Machine();
            console.WriteLine($"Quetzal: running {options.Model.ModelName} on scenario '{options.Scenario}' ({options.Mode} mode)");
            console.WriteLine($"  bucket folder: {BucketDirectory} (seeded from {Path.Combine(options.Model.ScenariosPath, options.Scenario)})");
            _clock.Start();
            var invoker = Invoker();
            JsonNode? output;
            try
            {
                output = await new Interpreter(invoker, this)
                {
                    ModelFunctionArn = AwsAccount.Local(options.Model.Region).FunctionArn(options.Model.FunctionName),
                    LambdaTimeoutSeconds = options.LambdaTimeout,
                    StateMachineName = options.Model.StateMachineName,
                    Region = options.Model.Region,
                    Account = AwsAccount.Local(options.Model.Region).Id,
                }.RunAsync(machine, input, cancellation);
            }
            finally
            {
                if (invoker is IAsyncDisposable disposable) await disposable.DisposeAsync();
            }
            Summary(succeeded: true);
            console.WriteLine($"  output: {Truncate(output?.ToJsonString() ?? "null", 400)}");
            return 0;
        }
        catch (ExecutionFailedException e)
        {
            Summary(succeeded: false);
            var code = e.FailState
                ? Codes.ExecutionFailed.Create(options.Model.StateMachinePath, e.State, e.Error.Length == 0 ? "(no error name)" : e.Error, e.Cause.Length == 0 ? "(no cause)" : e.Cause)
                : e.Error switch
            {
                "Quetzal.Unsupported" => Codes.UnsupportedFeature.Create(options.Model.StateMachinePath, e.State, e.Cause),
                "States.Timeout" when e.State == Interpreter.MachineLabel => Codes.ExecutionFailed.Create(options.Model.StateMachinePath, e.State, e.Error, e.Cause),
                "States.Runtime" or "States.ResultPathMatchFailure" => Codes.PathFailed.Create(options.Model.StateMachinePath, e.State, e.Cause),
                "States.TaskFailed" when StoppedTask(e.Cause) is { } exit => Codes.StepFailed.Create(options.Model.StateMachinePath, e.State, $"States.TaskFailed: the Fargate task's container exited with code {exit} (its output is above)"),
                _ when e.Error.StartsWith("States.", StringComparison.Ordinal) && e.Error != "States.Timeout" => Codes.ExecutionFailed.Create(options.Model.StateMachinePath, e.State, e.Error, e.Cause),
                _ => Codes.StepFailed.Create(options.Model.StateMachinePath, e.State, $"{e.Error}: {LambdaMessage(e.Cause)}"),
            };
            console.WriteLine(code.ToString());
            return 1;
        }
        catch (Exception e)
        {
            // The same translation as the tasks' error boundary; a stack trace only for a bug, to report it.
            var diagnostics = Failures.Describe(e, "The local run", cancellation.IsCancellationRequested);
            foreach (var d in diagnostics) console.WriteLine(d.ToString());
            if (Failures.IsBug(diagnostics)) console.WriteLine(e.ToString());
            return cancellation.IsCancellationRequested ? 130 : 1;
        }
    }

    private ITaskInvoker Invoker() => options.Mode switch
    {
        "python" => new PythonInvoker(options.Model.Python, options.Model.HandlerDirectory, options.Model.ModelDirectory, BucketDirectory, options.Model.BucketName,
            Path.Combine(options.Model.RunDirectory, "tmp"), line => console.WriteLine("  | " + line)) { TaskEnvironment = TaskEnvironment(), ImageEnvironment = ImageEnvironment(), QuietInterval = QuietInterval() },
        "docker" => new DockerInvoker(options, BucketDirectory, line => console.WriteLine("  | " + line)) { TaskEnvironment = TaskEnvironment() },
        _ => throw new QuetzalException(Codes.InvalidInput, $"--mode must be python or docker, not '{options.Mode}'"),
    };

    /// <summary>How long a step may print nothing before the run says it is still running: 30 s, or QUETZAL_STILL_RUNNING_SECONDS.</summary>
    private static TimeSpan QuietInterval()
        => int.TryParse(Environment.GetEnvironmentVariable("QUETZAL_STILL_RUNNING_SECONDS"), out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(30);

    /// <summary>In python mode, what the image would give the steps: the library's checkout and QuetzalImageEnvironment (the build reported any entry it refused).</summary>
    private Dictionary<string, string> ImageEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Container.ImageAdditions.Parse(null, options.Model.ImageEnvironment, options.Model.ProjectFile, new List<Diagnostic>()).Environment)
            variables[name] = System.Text.RegularExpressions.Regex.Replace(value, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", m => Environment.GetEnvironmentVariable(m.Groups[1].Value) ?? "");
        if (options.Model.LibraryFullPath is { } library) variables["QUETZAL_LIBRARY_DIR"] = library;
        return variables;
    }

    /// <summary>The bucket folder starts as the local scenario, so a run never depends on a previous one.</summary>
    private void Seed()
    {
        var target = Path.Combine(BucketDirectory, options.Scenario);
        if (RunFolders.Begin(options.Model.RunDirectory, options.Scenario, options.Mode, DateTime.Now) is { } kept)
            console.WriteLine($"  the previous run's results: {kept}");
        var source = Path.Combine(options.Model.ScenariosPath, options.Scenario);
        foreach (var file in Core.ModelFiles.Visible(source))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private JsonNode Input() => Input(options.Input, options.Model.ScenariosPath, options.Scenario, options.Workflow, "local-run@" + Environment.MachineName.ToLowerInvariant());

    /// <summary>
    /// An execution's input: --input (JSON, or @file), else what Quenedi sends: the workflow chosen, the scenario's
    /// prefix, its params by the app's rules, and metadata naming who runs it. The same for every mode.
    /// </summary>
    internal static JsonObject Input(string? input, string scenariosDirectory, string scenario, string workflow, string userEmail)
    {
        if (!string.IsNullOrWhiteSpace(input))
        {
            var file = input.StartsWith('@') ? Path.GetFullPath(input[1..]) : null;
            if (file is not null && !File.Exists(file)) throw new QuetzalException(Codes.InvalidInput, $"the file {file} does not exist");
            var text = file is null ? input : File.ReadAllText(file);
            try { return JsonNode.Parse(text) as JsonObject ?? throw new JsonException("it is not a JSON object"); }
            catch (JsonException e) { throw new QuetzalException(Codes.InvalidInput, $"{file ?? "--input"} is not valid JSON: {e.Message}"); }
        }
        var paramsFile = Path.Combine(scenariosDirectory, scenario, "inputs", "params.json");
        var (parameters, variants) = File.Exists(paramsFile) && ParseOrExplain(paramsFile) is JsonArray elements
            ? AppInput(elements, workflow) : (new JsonObject(), null);
        var launcherArg = new JsonObject { ["scenario"] = scenario, ["training_folder"] = "/tmp", ["params"] = parameters };
        if (variants is not null) launcherArg["variants"] = variants;
        return new JsonObject
        {
            // What today's app sends besides the run: the workflow chosen, and the user's token (an Authorization
            // state passes it to quetzal-api-auth, which a local run does not call).
            ["choice"] = workflow,
            ["authorization"] = "local-run",
            ["scenario_path_S3"] = scenario + "/",
            ["launcher_arg"] = launcherArg,
            ["metadata"] = new JsonObject { ["user_email"] = userEmail },
        };
    }

    /// <summary>
    /// What Quenedi sends for a workflow ("choice"), by its own rules: the categories whose <c>model</c> names the
    /// workflow (no <c>model</c>: 'default'), as <c>{category: {name: value}}</c>, and the workflow's variants entry's
    /// chosen <c>variants</c>.
    /// </summary>
    internal static (JsonObject Parameters, JsonArray? Variants) AppInput(JsonArray elements, string workflow)
    {
        static bool InWorkflow(JsonObject element, string workflow) => element["model"] switch
        {
            null => workflow == Validation.ParamsValidator.DefaultWorkflow,
            JsonValue value => (string?)value == workflow,
            JsonArray list => list.Any(m => (string?)m == workflow),
            _ => false,
        };
        var parameters = new JsonObject();
        JsonArray? variants = null;
        foreach (var element in elements.OfType<JsonObject>().Where(e => InWorkflow(e, workflow)))
        {
            if (element["category"] is JsonValue category && element["params"] is JsonArray list)
            {
                var values = parameters[(string?)category ?? ""] as JsonObject ?? new JsonObject();
                foreach (var parameter in list.OfType<JsonObject>())
                    if ((string?)parameter["name"] is { } name) values[name] = parameter["value"]?.DeepClone();
                parameters[(string?)category ?? ""] = values;
            }
            else if (element["variants"] is JsonArray chosen)
            {
                variants = (JsonArray)chosen.DeepClone();
            }
        }
        return (parameters, variants);
    }

    private static JsonNode? ParseOrExplain(string file)
    {
        try { return JsonNode.Parse(File.ReadAllText(file)); }
        catch (JsonException e) { throw new QuetzalException(Codes.InvalidInput, $"the default input is made from {file}, which is not valid JSON ({e.Message}); dotnet build says where"); }
    }

    private JsonObject Machine()
    {
        if (!File.Exists(options.Model.StateMachinePath)) throw new QuetzalException(Codes.StateMachineMissing, options.Model.StateMachinePath);
        // Rendered as a publish renders it: the Fargate states become the RunTask requests Step Functions would send.
        return JsonNode.Parse(StateMachineRenderer.Render(File.ReadAllText(options.Model.StateMachinePath), Placeholders.Values(options.Model.Resources, AwsAccount.Local(options.Model.Region)), _fargate = FargateTask()))!.AsObject();
    }

    /// <summary>The Fargate task a Fargate step runs locally (the settings checked; no network: that is AWS's), or null when the workflow has none.</summary>
    private FargateTask? FargateTask()
    {
        if (!Fargate.UsesFargate(options.Model.StateMachinePath)) return null;
        var bag = new DiagnosticBag();
        Fargate.Validate(options.Model.Fargate with { Subnets = null, SecurityGroups = null, AssignPublicIp = null }, options.Model.StateMachinePath, null, bag);
        if (bag.HasErrors) throw new QuetzalException(bag.Items.Where(d => d.Severity == Severity.Error).ToList());
        return options.Model.Fargate.Parse() with { Subnets = ["subnet-local"], AssignPublicIp = false };
    }

    /// <summary>The environment of every Fargate task, as the task definition sets it (the state's overrides come on top).</summary>
    private IReadOnlyDictionary<string, string> TaskEnvironment() => _fargate is null ? new Dictionary<string, string>() : new Dictionary<string, string>
    {
        [ContainerEnvironment.BucketName] = options.Model.BucketName,
        [ContainerEnvironment.TimeLimit] = _fargate.TimeLimitMinutes.ToString(),
        [ContainerEnvironment.ModelTag] = "local",
    };

    private FargateTask? _fargate;

    private void Summary(bool succeeded)
    {
        var scenario = Path.Combine(BucketDirectory, options.Scenario);
        console.WriteLine();
        console.WriteLine($"Run {(succeeded ? "succeeded" : "failed")} in {_clock.Elapsed.TotalSeconds:0.0} s: {_states} state{(_states == 1 ? "" : "s")} of scenario '{options.Scenario}' ran{(succeeded ? "" : ", the last one failed")}.");
        foreach (var folder in new[] { "outputs", "logs" })
        {
            var path = Path.Combine(scenario, folder);
            if (!Directory.Exists(path)) continue;
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(path, f)).Order().ToList();
            console.WriteLine($"  {folder}: {path} ({string.Join(", ", files.Take(8))}{(files.Count > 8 ? $", ... {files.Count} files" : "")})");
        }
    }

    public void StateStarted(string state, string type)
    {
        Interlocked.Increment(ref _states);
        lock (console) console.WriteLine($"[{_clock.Elapsed:mm\\:ss\\.f}] > {state} ({type})");
    }

    public void StateEnded(string state, string type, TimeSpan duration, JsonNode? output)
    {
        // Not the state's output: a step's is the event it was given (the payload passes through), which says nothing of what it did; its log did.
        lock (console) console.WriteLine($"[{_clock.Elapsed:mm\\:ss\\.f}] < {state} ({type}) {duration.TotalSeconds:0.00} s");
    }

    public void Note(string message)
    {
        lock (console) console.WriteLine("  note: " + message);
    }

    /// <summary>The exit code in a stopped ECS task (the Cause of a failed runTask.sync), or null when the cause is not one.</summary>
    private static int? StoppedTask(string cause)
    {
        try
        {
            return JsonNode.Parse(cause) is JsonObject { } task && task["Containers"] is JsonArray { Count: > 0 } containers ? (int?)containers[0]?["ExitCode"] : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A Lambda failure's Cause is its error as JSON (errorMessage, errorType, stackTrace): the message is what a person reads.</summary>
    internal static string LambdaMessage(string cause)
    {
        if (!cause.StartsWith('{')) return cause;
        try
        {
            return JsonNode.Parse(cause) is JsonObject error && error["errorMessage"] is JsonValue message && message.TryGetValue<string>(out var text) ? text : cause;
        }
        catch (System.Text.Json.JsonException)
        {
            return cause;
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "...";
}
