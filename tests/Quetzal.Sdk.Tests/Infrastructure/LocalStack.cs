using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>
/// The servers of eng/stack.sh (dockerd, registry, s3rver, the control plane), as the tests reach them.
/// Missing servers skip the tests that need them on a developer's machine; with QUETZAL_REQUIRE_SERVICES=1
/// (set by .ci/run) they fail instead, so CI cannot pass by skipping.
/// </summary>
public static class LocalStack
{
    public const string S3 = "http://127.0.0.1:4568";
    public const string ControlPlane = "http://127.0.0.1:4599";
    /// <summary>s3rver behind the control plane's front, which answers S3's conditional writes and counts multipart aborts.</summary>
    public const string ConditionalS3 = "http://127.0.0.1:4569";
    public const string Registry = "127.0.0.1:5001";
    public static readonly string StateDirectory = Environment.GetEnvironmentVariable("QUETZAL_STACK_DIR") ?? Path.Combine(Repository.Root, "artifacts", "stack");
    public static string AccessKey => Environment.GetEnvironmentVariable("QUETZAL_STACK_ACCESS_KEY") ?? "S3RVER";
    public static string SecretKey => Environment.GetEnvironmentVariable("QUETZAL_STACK_SECRET_KEY") ?? "S3RVER";
    public static string RegistryToken => File.ReadAllText(Path.Combine(StateDirectory, "registry-token")).Trim();
    public static string BaseImage => Environment.GetEnvironmentVariable("QUETZAL_TEST_BASE_IMAGE") ?? StackVariables.Value["QUETZAL_TEST_BASE_IMAGE"];

    /// <summary>
    /// Where containers on Docker's bridge reach this host: the bridge's gateway, as eng/stack.sh finds it for the
    /// control plane (Docker's IPAM config, else the bridge's interface), so that every test and the stack agree.
    /// </summary>
    public static string DockerGateway =>
        Environment.GetEnvironmentVariable("QUETZAL_DOCKER_GATEWAY") is { Length: > 0 } set ? set
        : StackVariables.Value.GetValueOrDefault("QUETZAL_DOCKER_GATEWAY") is { Length: > 0 } found ? found
        : throw new InvalidOperationException("eng/stack.sh env found no Docker bridge gateway (is dockerd running?)");

    /// <summary>What `eng/stack.sh env` exports (the base image's name depends on its recipe).</summary>
    private static readonly Lazy<Dictionary<string, string>> StackVariables = new(() =>
        Processes.Run("bash", [Path.Combine(Repository.Root, "eng", "stack.sh"), "env"]).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("export ", StringComparison.Ordinal))
            .Select(l => l["export ".Length..].Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]));
    /// <summary>
    /// Pulls an image from the stack's registry into the Docker engine with the registry's login, as Lambda and ECS pull
    /// a published image (the model's layer is added in the registry: the engine that built the dependencies never had it).
    /// </summary>
    public static async Task PullAsync(string image)
    {
        using var docker = new Docker.DotNet.DockerClientConfiguration(new Uri(Quetzal.Sdk.Container.ImageBuilder.DefaultEndpoint)).CreateClient();
        await docker.Images.CreateImageAsync(new Docker.DotNet.Models.ImagesCreateParameters { FromImage = image },
            new Docker.DotNet.Models.AuthConfig { Username = "AWS", Password = RegistryToken, ServerAddress = image.Split('/')[0] },
            new Progress<Docker.DotNet.Models.JSONMessage>(), default);
    }

    public static bool Required => Environment.GetEnvironmentVariable("QUETZAL_REQUIRE_SERVICES") == "1";

    private static readonly Lazy<string?> MissingLazy = new(FindMissing);

    /// <summary>What is missing, or null when every server answers.</summary>
    public static string? Missing => MissingLazy.Value;

    /// <summary>Settings for the SDK's own classes against the stack, with S3 through the conditional-write front.</summary>
    public static Quetzal.Sdk.Aws.AwsSettings ConditionalSettings()
    {
        var stack = Environment_();
        stack["AWS_ENDPOINT_URL_S3"] = ConditionalS3;
        return new("ca-central-1", null, n => stack.GetValueOrDefault(n), new Amazon.Runtime.BasicAWSCredentials(AccessKey, SecretKey));
    }

    /// <summary>The environment a publish against the local stack runs with.</summary>
    public static Dictionary<string, string> Environment_() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = "ca-central-1",
        ["AWS_ENDPOINT_URL_S3"] = S3,
        ["AWS_ENDPOINT_URL_ECR"] = ControlPlane,
        ["AWS_ENDPOINT_URL_LAMBDA"] = ControlPlane,
        ["AWS_ENDPOINT_URL_SFN"] = ControlPlane,
        ["AWS_ENDPOINT_URL_ECS"] = ControlPlane,
        ["DOCKER_HOST"] = "unix:///var/run/docker.sock",
    };

    private static string? FindMissing()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var missing = new List<string>();
        bool Answers(string url, string? user = null, string? password = null)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (user is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
                using var response = http.Send(request);
                return (int)response.StatusCode < 500;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }
        if (!Answers(S3)) missing.Add("s3rver (127.0.0.1:4568)");
        if (!Answers($"{ControlPlane}/_local/health")) missing.Add("control plane (127.0.0.1:4599)");
        if (!File.Exists(Path.Combine(StateDirectory, "registry-token")) || !Answers($"http://{Registry}/v2/", "AWS", RegistryToken)) missing.Add("registry (127.0.0.1:5001)");
        if (!File.Exists("/var/run/docker.sock")) missing.Add("dockerd");
        if (!Directory.Exists(Path.Combine(Repository.Root, "eng", "stack", "node_modules", "@cdktf", "hcl2json"))) missing.Add("@cdktf/hcl2json (npm)");
        if (!File.Exists("/usr/bin/python3") || Process.Start(new ProcessStartInfo("/usr/bin/python3", "-c \"import boto3\"") { RedirectStandardError = true })!.WaitForExitOrKill() != 0)
            missing.Add("python3-boto3");
        return missing.Count == 0 ? null : string.Join(", ", missing);
    }

    private static int WaitForExitOrKill(this Process process)
    {
        if (!process.WaitForExit(30_000)) process.Kill();
        return process.ExitCode;
    }

    /// <summary>Fails the test with what to do when the stack is missing and required.</summary>
    public static void EnsureRunning()
    {
        if (Missing is not null)
            Assert.Fail($"The local stack is not running ({Missing}). Start it with: eng/stack.sh up");
    }
}

/// <summary>A test that needs the local stack: skipped when it is down, unless QUETZAL_REQUIRE_SERVICES=1 (then it fails).</summary>
public sealed class StackFactAttribute : FactAttribute
{
    public StackFactAttribute()
    {
        if (!LocalStack.Required && LocalStack.Missing is not null)
            Skip = $"local stack not running ({LocalStack.Missing}); run eng/stack.sh up";
    }
}

/// <summary>
/// A theory that needs npm packages of the local stack (eng/stack/node_modules, installed by eng/stack.sh up) but no
/// running server: skipped when they are missing, unless QUETZAL_REQUIRE_SERVICES=1 (then it fails).
/// </summary>
public sealed class NpmTheoryAttribute : TheoryAttribute
{
    public NpmTheoryAttribute(params string[] packages)
    {
        var missing = packages.Where(p => !Directory.Exists(Path.Combine(Repository.Root, "eng", "stack", "node_modules", p))).ToList();
        if (!LocalStack.Required && missing.Count > 0)
            Skip = $"{string.Join(", ", missing)} (npm) not installed; run eng/stack.sh up";
    }
}
