using Quetzal.Sdk.Model;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Models;
using Quetzal.Sdk.Workflow;

namespace Quetzal.LocalAws;

/// <summary>
/// What Lambda and Fargate do with a deployed image, on the stack's Docker engine: a Lambda invocation starts the
/// function's image (by digest) with the function's environment and posts the payload to the Lambda runtime interface
/// emulator the base images start outside Lambda; a Fargate task starts the task definition's image with its entry
/// point and environment and the overrides, and waits for its exit. Containers reach S3 at <see cref="Settings.ContainerS3"/>
/// (this program, forwarding to the stack's S3 server) with the stand-in's credentials, as a role would give them.
/// </summary>
internal sealed class Containers(Settings settings)
{
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri(Quetzal.Sdk.Container.ImageBuilder.DefaultEndpoint)).CreateClient();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly SemaphoreSlim _pulls = new(1, 1);

    private List<string> Credentials() =>
    [
        $"AWS_ACCESS_KEY_ID={settings.AccessKey}", $"AWS_SECRET_ACCESS_KEY={settings.SecretKey}", $"AWS_REGION={settings.Region}",
        $"AWS_DEFAULT_REGION={settings.Region}", $"AWS_ENDPOINT_URL_S3={settings.ContainerS3}",
    ];

    /// <summary>The image on this engine: the push that published it left it here, else it is pulled with the registry's login.</summary>
    private async Task EnsureImageAsync(string image, CancellationToken cancellation)
    {
        await _pulls.WaitAsync(cancellation);
        try
        {
            try
            {
                await _docker.Images.InspectImageAsync(image, cancellation);
                return;
            }
            catch (DockerImageNotFoundException) { }
            await _docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image },
                new AuthConfig { Username = "AWS", Password = settings.RegistryToken, ServerAddress = settings.Registry }, new Progress<JSONMessage>(), cancellation);
        }
        catch (DockerApiException e)
        {
            throw new StateError("Lambda.ServiceException", $"the image {image} cannot be pulled: {e.ResponseBody}");
        }
        finally
        {
            _pulls.Release();
        }
    }

    /// <summary>Invokes a function: its image, its environment and timeout; the payload's answer, or its error as Step Functions sees it.</summary>
    public async Task<JsonNode?> InvokeAsync(LambdaFunction function, JsonNode? payload, CancellationToken cancellation)
    {
        var image = function.ResolvedImageUri;
        await EnsureImageAsync(image, cancellation);
        var port = RuntimeEmulator.FreePort();
        var environment = Credentials();
        foreach (var (name, value) in function.Environment) environment.Add($"{name}={(string?)value}");
        environment.AddRange([$"AWS_LAMBDA_FUNCTION_NAME={function.Name}", $"AWS_LAMBDA_FUNCTION_TIMEOUT={function.Timeout}", $"AWS_LAMBDA_FUNCTION_MEMORY_SIZE={function.MemorySize}"]);
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Env = environment,
            ExposedPorts = new Dictionary<string, EmptyStruct> { ["8080/tcp"] = default },
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>> { ["8080/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = port.ToString() }] },
            },
        }, cancellation);
        try
        {
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellation);
            var endpoint = new Uri($"http://127.0.0.1:{port}{RuntimeEmulator.InvocationsPath}");
            await RuntimeEmulator.WaitAsync(_http, endpoint, reason => new StateError("Lambda.ServiceException", $"the function's runtime interface emulator {reason}"), cancellation);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(function.Timeout));
            HttpResponseMessage response;
            try
            {
                response = await _http.PostAsync(endpoint, new StringContent(payload?.ToJsonString() ?? "null", Encoding.UTF8, "application/json"), timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new StateError("Sandbox.Timedout", $"{{\"errorMessage\":\"Task timed out after {function.Timeout}.00 seconds\"}}");
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellation);
                var answer = JsonNode.Parse(text);
                // As lambda:invoke reports a function error: its type is the error, its whole answer the cause.
                if (answer is JsonObject error && error["errorType"] is { } type) throw new StateError((string)type!, text);
                return answer;
            }
        }
        finally
        {
            await RemoveAsync(created.ID);
        }
    }

    /// <summary>Runs a task definition's (first essential) container with the overrides' environment; returns its exit code.</summary>
    public async Task<int> RunTaskAsync(JsonObject taskDefinition, IReadOnlyDictionary<string, string> overrides, CancellationToken cancellation)
    {
        var container = taskDefinition["containerDefinitions"]!.AsArray().OfType<JsonObject>().First(c => (bool?)c["essential"] != false);
        var image = (string)container["image"]!;
        await EnsureImageAsync(image, cancellation);
        var environment = Credentials();
        var variables = (container["environment"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(v => (string)v["name"]!, v => (string?)v["value"] ?? "");
        foreach (var (name, value) in overrides) variables[name] = value;
        environment.AddRange(variables.Select(v => $"{v.Key}={v.Value}"));
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Entrypoint = (container["entryPoint"] as JsonArray)?.Select(e => (string)e!).ToList(),
            Cmd = (container["command"] as JsonArray)?.Select(e => (string)e!).ToList(),
            Env = environment,
        }, cancellation);
        try
        {
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellation);
            var exit = await _docker.Containers.WaitContainerAsync(created.ID, cancellation);
            return (int)exit.StatusCode;
        }
        finally
        {
            await RemoveAsync(created.ID);
        }
    }

    private async Task RemoveAsync(string id)
    {
        try { await _docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None); }
        catch (DockerApiException) { }
    }
}
