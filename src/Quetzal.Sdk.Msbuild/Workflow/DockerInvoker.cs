using Quetzal.Sdk.Model;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Models;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Workflow;

/// <summary>
/// Docker mode: the model's image, built as the publish builds it. For Lambda steps it runs once for the whole run;
/// each Task posts its payload to the Lambda runtime interface emulator that Lambda base images start outside Lambda
/// (POST /2015-03-31/functions/function/invocations on port 8080), as the original test-lambda.sh did. Each Fargate
/// step is a container of its own in container mode. The bucket folder is mounted; the containers' output is streamed.
/// </summary>
public sealed class DockerInvoker(LocalRunOptions options, string bucketDirectory, Action<string> output) : ITaskInvoker, IAsyncDisposable
{
    private const string BucketMount = "/quetzal-bucket";
    private readonly SemaphoreSlim _start = new(1, 1);
    private DockerClient? _docker;
    private string? _container;
    private Uri? _endpoint;
    private CancellationTokenSource? _logs;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The environment the task definition gives every Fargate task (BUCKET_NAME, TIME_LIMIT, MODEL_TAG).</summary>
    public IReadOnlyDictionary<string, string> TaskEnvironment { get; init; } = new Dictionary<string, string>();

    private string? _image;

    public async Task<JsonNode?> InvokeAsync(string state, JsonNode? payload, int? timeoutSeconds, CancellationToken cancellation)
    {
        await EnsureStartedAsync(cancellation);
        // No cap at QuetzalLambdaTimeout (the run warns past it), only the state's own deadline, which the interpreter holds.
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(new Uri(_endpoint!, RuntimeEmulator.InvocationsPath),
                new StringContent(payload?.ToJsonString() ?? "null", Encoding.UTF8, "application/json"), cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new StateError("Lambda.ServiceException", $"the container stopped answering: {e.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellation);
            var answer = JsonNode.Parse(text);
            if (answer is JsonObject error && error["errorType"] is { } type)
                throw new StateError((string)type!, PythonInvoker.LambdaCause(error));
            if (!response.IsSuccessStatusCode) throw new StateError("Lambda.Unknown", $"the emulator answered {(int)response.StatusCode}: {text}");
            return answer;
        }
    }

    /// <summary>The model's image, built as the publish builds it, once per run; and the engine's client.</summary>
    private async Task<string> EnsureImageAsync(CancellationToken cancellation)
    {
        if (_image is not null) return _image;
        var log = new ConsoleLog(output);
        using (var builder = new ImageBuilder(log))
        {
            await builder.EnsureAvailableAsync(cancellation);
            var context = BuildContext.Create(options.Model.ModelDirectory, options.Model.HandlerDirectory, null,
                ContextRules.For(options.Model.ModelDirectory, options.Model.ScenariosPath, options.Model.SdkState));
            var image = options.Image ?? $"{options.Model.ModelName}:local-{context.ContentTag}";
            output($"building {image} ({context.Entries.Count} files)");
            await builder.BuildAsync(context, image, cancellation);
            _docker ??= new DockerClientConfiguration(new Uri(ImageBuilder.DefaultEndpoint)).CreateClient();
            return _image = image;
        }
    }

    /// <summary>
    /// A Fargate step as Fargate runs it: a container of the model's image started with the task definition's entry
    /// point (container mode, no Lambda emulator) and environment, the state's overrides on top, awaited to its exit.
    /// </summary>
    public async Task<int> RunTaskAsync(string state, string? taskDefinition, IReadOnlyDictionary<string, string> environment, int? timeoutSeconds, CancellationToken cancellation)
    {
        string image;
        await _start.WaitAsync(cancellation);
        try { image = await EnsureImageAsync(cancellation); }
        finally { _start.Release(); }
        var variables = new Dictionary<string, string>(TaskEnvironment) { ["QUETZAL_LOCAL_BUCKET_DIR"] = BucketMount, ["AWS_REGION"] = options.Model.Region };
        foreach (var (name, value) in environment) variables[name] = value;
        var created = await _docker!.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Entrypoint = Model.Fargate.EntryPoint.ToList(),
            Cmd = [],
            Env = variables.Select(v => $"{v.Key}={v.Value}").ToList(),
            HostConfig = new HostConfig { Binds = [$"{Path.GetFullPath(bucketDirectory)}:{BucketMount}"] },
        }, cancellation);
        try
        {
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellation);
            using var logs = new CancellationTokenSource();
            var streaming = StreamLogsAsync(created.ID, logs.Token);
            try
            {
                // The state's deadline is the interpreter's: it cancels the token, and the container is removed below.
                var exit = await _docker.Containers.WaitContainerAsync(created.ID, cancellation);
                await streaming.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
                return (int)exit.StatusCode;
            }
            finally
            {
                logs.Cancel();
            }
        }
        finally
        {
            try { await _docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None); }
            catch (DockerApiException) { }
        }
    }

    private async Task EnsureStartedAsync(CancellationToken cancellation)
    {
        await _start.WaitAsync(cancellation);
        try
        {
            if (_container is not null) return;
            var image = await EnsureImageAsync(cancellation);
            {
                var port = RuntimeEmulator.FreePort();
                var created = await _docker!.Containers.CreateContainerAsync(new CreateContainerParameters
                {
                    Image = image,
                    // Lambda's own ceiling: the run warns past QuetzalLambdaTimeout rather than stopping the step there.
                    Env = [$"QUETZAL_LOCAL_BUCKET_DIR={BucketMount}", $"BUCKET_NAME={options.Model.BucketName}", "AWS_LAMBDA_FUNCTION_TIMEOUT=900",
                        $"AWS_LAMBDA_FUNCTION_NAME={options.Model.FunctionName}", $"AWS_REGION={options.Model.Region}"],
                    ExposedPorts = new Dictionary<string, EmptyStruct> { ["8080/tcp"] = default },
                    HostConfig = new HostConfig
                    {
                        Binds = [$"{Path.GetFullPath(bucketDirectory)}:{BucketMount}"],
                        PortBindings = new Dictionary<string, IList<PortBinding>> { ["8080/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = port.ToString() }] },
                        AutoRemove = false,
                    },
                }, cancellation);
                _container = created.ID;
                await _docker.Containers.StartContainerAsync(_container, new ContainerStartParameters(), cancellation);
                _endpoint = new Uri($"http://127.0.0.1:{port}");
                _logs = new CancellationTokenSource();
                _ = StreamLogsAsync(_container, _logs.Token);
                await RuntimeEmulator.WaitAsync(_http, _endpoint, reason => new StateError("Lambda.Unknown",
                    $"the image's runtime interface emulator on port {port} {reason} (is the base image a Lambda base image?)"), cancellation);
            }
        }
        finally
        {
            _start.Release();
        }
    }

    /// <summary>The container's stdout and stderr, demultiplexed (a non-TTY log stream frames every chunk), line by line.</summary>
    private async Task StreamLogsAsync(string container, CancellationToken cancellation)
    {
        try
        {
            using var stream = await _docker!.Containers.GetContainerLogsAsync(container, tty: false,
                new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = true }, cancellation);
            var buffer = new byte[8192];
            var pending = new StringBuilder();
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellation);
                if (read.EOF) break;
                pending.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                var text = pending.ToString();
                var end = text.LastIndexOf('\n');
                if (end < 0) continue;
                foreach (var line in text[..end].Split('\n')) output(line.TrimEnd('\r'));
                pending.Clear().Append(text[(end + 1)..]);
            }
        }
        catch (OperationCanceledException) { }
        catch (DockerApiException) { }
        catch (IOException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _logs?.Cancel();
        if (_docker is not null && _container is not null)
        {
            try
            {
                await _docker.Containers.RemoveContainerAsync(_container, new ContainerRemoveParameters { Force = true });
            }
            catch (DockerApiException) { }
        }
        _docker?.Dispose();
        _http.Dispose();
    }

    private sealed class ConsoleLog(Action<string> output) : IPublishLog
    {
        public void Info(string message) => output(message.Trim());
        public void Detail(string message) { }
        public void Warning(Diagnostic diagnostic) => output(diagnostic.ToString());
    }
}
