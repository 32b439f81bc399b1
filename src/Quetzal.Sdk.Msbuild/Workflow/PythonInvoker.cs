using Quetzal.Sdk.Model;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Runs the model's steps with the local Python interpreter and the SDK's runner: a Lambda step through its handler,
/// a Fargate step through its container mode (`quetzal_handler.py` as a program, the task's environment). The model
/// folder is LAMBDA_TASK_ROOT, a folder stands in for the bucket; output is streamed as it comes. No 15-minute cap:
/// a Lambda step is stopped only by its state's TimeoutSeconds, a Fargate step by its time limit.
/// </summary>
public sealed class PythonInvoker(string python, string handlerDirectory, string modelDirectory, string bucketDirectory, string bucketName,
    string trainingRoot, Action<string> output) : ITaskInvoker
{
    private const string Bootstrap = """
        import json, os, sys, traceback
        sys.path.insert(0, os.environ["QUETZAL_HANDLER_DIR"])
        import quetzal_handler
        marker = os.environ["QUETZAL_RESULT_MARKER"]
        event = json.loads(sys.stdin.read())
        try:
            result = quetzal_handler.handler(event, None)
            sys.stdout.write("\n" + marker + json.dumps({"result": result}) + "\n")
        except Exception as e:
            trace = traceback.format_list(traceback.extract_tb(e.__traceback__))
            sys.stdout.write("\n" + marker + json.dumps({"errorMessage": str(e), "errorType": type(e).__name__, "stackTrace": trace}) + "\n")
            sys.exit(1)
        """;

    /// <summary>
    /// The Cause Step Functions gives a failed Lambda invocation: the function's error as JSON, in Lambda's order
    /// (errorMessage, errorType, requestId, stackTrace), which a Catch reads with States.StringToJson.
    /// </summary>
    internal static string LambdaCause(JsonObject error) => new JsonObject
    {
        ["errorMessage"] = (string?)error["errorMessage"] ?? "",
        ["errorType"] = (string?)error["errorType"] ?? "",
        ["requestId"] = (string?)error["requestId"] ?? Guid.NewGuid().ToString(),
        ["stackTrace"] = error["stackTrace"]?.DeepClone() ?? new JsonArray(),
    }.ToJsonString(PayloadTemplate.StandardJson);

    /// <summary>The environment the task definition gives every Fargate task (BUCKET_NAME, TIME_LIMIT, MODEL_TAG).</summary>
    public IReadOnlyDictionary<string, string> TaskEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>What the image would hold beyond the model folder: the library's checkout (QUETZAL_LIBRARY_DIR, put on the steps' PYTHONPATH by the runner) and QuetzalImageEnvironment.</summary>
    public IReadOnlyDictionary<string, string> ImageEnvironment { get; init; } = new Dictionary<string, string>();

    public async Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
    {
        var marker = "QUETZAL-RESULT-" + Guid.NewGuid().ToString("N") + ":";
        string? result = null;
        var code = await RunAsync(state, (string?)payload?["scenario_path_S3"], ["-u", "-c", Bootstrap], new Dictionary<string, string> { ["QUETZAL_RESULT_MARKER"] = marker },
            payload?.ToJsonString() ?? "null", (line, say) =>
            {
                if (line.StartsWith(marker, StringComparison.Ordinal)) result = line[marker.Length..];
                else if (line.Length > 0) say(line);
            }, cancellation);
        var answer = result is null ? null : JsonNode.Parse(result)!.AsObject();
        if (answer?["errorType"] is { } type)
            throw new StateError((string)type!, LambdaCause(answer));
        if (code != 0 || answer is null)
            throw new StateError("Lambda.Unknown", $"the Python process exited with code {code} before the handler answered");
        return answer["result"]?.DeepClone();
    }

    public async Task<int> RunTaskAsync(string state, string? taskDefinition, IReadOnlyDictionary<string, string> environment, int? timeoutSeconds, CancellationToken cancellation)
    {
        var variables = new Dictionary<string, string>(TaskEnvironment);
        foreach (var (name, value) in environment) variables[name] = value;
        return await RunAsync(state, variables.GetValueOrDefault("scenario_path"), ["-u", Path.Combine(handlerDirectory, "quetzal_handler.py")], variables, null,
            (line, say) => { if (line.Length > 0) say(line); }, cancellation);
    }

    /// <summary>How long a step may print nothing before the run says it is still running.</summary>
    public TimeSpan QuietInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs the runner in a training folder of its own; returns its exit code (cancelled, at the state's deadline the
    /// interpreter holds or by Ctrl+C, the process is killed with its children). What
    /// the step prints goes to the console with the throw-away training folder written as the scenario's folder in the
    /// bucket folder, where its files are once the step ends (a step prints "wrote .../outputs/x.csv"); a step that
    /// prints nothing for <see cref="QuietInterval"/> gets a line saying it is still running.
    /// </summary>
    private async Task<int> RunAsync(string state, string? scenarioPrefix, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? input,
        Action<string, Action<string>> line, CancellationToken cancellation)
    {
        var training = Path.Combine(trainingRoot, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(training);
        var scenarioFolder = Path.Combine(bucketDirectory, (scenarioPrefix ?? "").Trim('/'));
        var clock = Stopwatch.StartNew();
        var lastOutput = clock.Elapsed;
        void Say(string text)
        {
            lastOutput = clock.Elapsed;
            output(text.Replace(training, scenarioFolder, StringComparison.Ordinal));
        }
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["QUETZAL_HANDLER_DIR"] = handlerDirectory;
        start.Environment["QUETZAL_LOCAL_BUCKET_DIR"] = bucketDirectory;
        start.Environment["QUETZAL_LOCAL_TRAINING_DIR"] = training;
        start.Environment["LAMBDA_TASK_ROOT"] = modelDirectory;
        start.Environment["BUCKET_NAME"] = bucketName;
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        foreach (var (name, value) in ImageEnvironment) start.Environment[name] = value;
        foreach (var (name, value) in environment) start.Environment[name] = value;

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new QuetzalException(Codes.PythonMissing, python, e.Message);
        }
        using (process)
        {
            var reading = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(cancellation) is { } text) line(text, Say);
            }, cancellation);
            var errors = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync(cancellation) is { } text) Say(text);
            }, cancellation);
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var watching = Task.Run(async () =>
            {
                try
                {
                    while (!ended.IsCancellationRequested)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), ended.Token);
                        if (clock.Elapsed - lastOutput < QuietInterval) continue;
                        lastOutput = clock.Elapsed;
                        output($"... {state} is still running ({clock.Elapsed:h\\:mm\\:ss}; nothing printed for {QuietInterval.TotalSeconds:0} s)");
                    }
                }
                catch (OperationCanceledException) { }
            }, CancellationToken.None);
            if (input is not null) await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();

            try
            {
                try
                {
                    await process.WaitForExitAsync(cancellation);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw;
                }
                await Task.WhenAll(reading, errors);
                try { Directory.Delete(training, recursive: true); } catch (IOException) { }
                return process.ExitCode;
            }
            finally
            {
                await ended.CancelAsync();
                await watching;
            }
        }
    }
}
