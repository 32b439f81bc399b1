using System.Diagnostics;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Invokes the model's Lambda handler with the local Python interpreter: the SDK's handler, the model folder as
/// LAMBDA_TASK_ROOT, a folder standing in for the bucket. The step's output is streamed as it comes.
/// </summary>
public sealed class PythonInvoker(string python, string handlerDirectory, string modelDirectory, string bucketDirectory, string bucketName,
    int lambdaTimeoutSeconds, string trainingRoot, Action<string> output) : ITaskInvoker
{
    private const string Bootstrap = """
        import json, os, sys
        sys.path.insert(0, os.environ["QUETZAL_HANDLER_DIR"])
        import quetzal_handler
        marker = os.environ["QUETZAL_RESULT_MARKER"]
        event = json.loads(sys.stdin.read())
        try:
            result = quetzal_handler.handler(event, None)
            sys.stdout.write("\n" + marker + json.dumps({"result": result}) + "\n")
        except Exception as e:
            sys.stdout.write("\n" + marker + json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)}) + "\n")
            sys.exit(1)
        """;

    public async Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
    {
        var marker = "QUETZAL-RESULT-" + Guid.NewGuid().ToString("N") + ":";
        var training = Path.Combine(trainingRoot, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(training);
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Bootstrap);
        start.Environment["QUETZAL_HANDLER_DIR"] = handlerDirectory;
        start.Environment["QUETZAL_RESULT_MARKER"] = marker;
        start.Environment["QUETZAL_LOCAL_BUCKET_DIR"] = bucketDirectory;
        start.Environment["QUETZAL_LOCAL_TRAINING_DIR"] = training;
        start.Environment["LAMBDA_TASK_ROOT"] = modelDirectory;
        start.Environment["BUCKET_NAME"] = bucketName;
        start.Environment["PYTHONIOENCODING"] = "utf-8";

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
            string? result = null;
            var reading = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(cancellation) is { } line)
                {
                    if (line.StartsWith(marker, StringComparison.Ordinal)) result = line[marker.Length..];
                    else if (line.Length > 0) output(line);
                }
            }, cancellation);
            var errors = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync(cancellation) is { } line) output(line);
            }, cancellation);
            await process.StandardInput.WriteAsync(payload?.ToJsonString() ?? "null");
            process.StandardInput.Close();

            var limit = TimeSpan.FromSeconds(Math.Min(timeoutSeconds ?? int.MaxValue, lambdaTimeoutSeconds));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(limit);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellation.ThrowIfCancellationRequested();
                throw new StateError("States.Timeout", $"the step ran longer than {limit.TotalSeconds:0} s (QuetzalLambdaTimeout)");
            }
            await Task.WhenAll(reading, errors);
            try { Directory.Delete(training, recursive: true); } catch (IOException) { }

            var answer = result is null ? null : JsonNode.Parse(result)!.AsObject();
            if (answer?["errorType"] is { } type)
                throw new StateError((string)type!, (string?)answer["errorMessage"] ?? "");
            if (process.ExitCode != 0 || answer is null)
                throw new StateError("Lambda.Unknown", $"the Python process exited with code {process.ExitCode} before the handler answered");
            return answer["result"]?.DeepClone();
        }
    }
}
