using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.EndToEnd;

/// <summary>
/// The AWS secret key, the session token and the registry token are unique canaries; a scaffolded model is built and
/// published with a binary log and diagnostic verbosity, then run on the stack (`dotnet run -- --mode aws`); no canary
/// may appear in the console output (the publish's and the run's), the binary log,
/// the model's files, the image, the registry's blobs or the S3 objects. The test runs its own stack, whose servers
/// know the canaries: a registry with the canary token, the control plane verifying with the canary secret, and an
/// s3rver that accepts any signature (it knows only its own key pair).
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class SecretsTests(PackedPackages packages) : IDisposable
{
    private readonly TempDirectory _root = new("canary");
    private readonly List<Process> _servers = new();

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            try { server.Kill(entireProcessTree: true); server.WaitForExit(5000); } catch (InvalidOperationException) { }
            server.Dispose();
        }
        _root.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Start(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _servers.Add(process);
    }

    private static void WaitFor(string url, string? user = null, string? password = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (user is not null) request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
                if ((int)http.Send(request).StatusCode < 500) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            Thread.Sleep(200);
        }
        Assert.Fail($"{url} did not start");
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    [StackFact]
    public void No_canary_reaches_a_log_a_generated_file_the_image_the_registry_or_the_bucket()
    {
        LocalStack.EnsureRunning();
        var id = Guid.NewGuid().ToString("N")[..12];
        var canaries = new[] { $"canarySecret{id}", $"canarySession{id}", $"canaryRegistryToken{id}" };
        var (secret, session, token) = (canaries[0], canaries[1], canaries[2]);
        var name = $"canary-{id}";

        // The canary stack.
        var (registryPort, controlPort, s3Port) = (FreePort(), FreePort(), FreePort());
        var registryData = _root.Combine("registry-data");
        var s3Data = _root.Combine("s3-data");
        Directory.CreateDirectory(s3Data);
        var htpasswd = Processes.Run("htpasswd", ["-Bbn", "AWS", token]);
        Assert.True(htpasswd.Succeeded, htpasswd.ToString());
        _root.Write("htpasswd", htpasswd.Output.Trim() + "\n");
        _root.Write("registry.yml", $"version: 0.1\nlog: {{ level: warn }}\nstorage:\n  filesystem: {{ rootdirectory: {registryData} }}\n  delete: {{ enabled: true }}\nhttp: {{ addr: 127.0.0.1:{registryPort} }}\nauth:\n  htpasswd: {{ realm: canary, path: {_root.Combine("htpasswd")} }}\n");
        Start("docker-registry", ["serve", _root.Combine("registry.yml")]);
        // Executions' containers reach this stack's S3 through its control plane on the Docker bridge's gateway.
        var containerS3 = $"http://{LocalStack.DockerGateway}:{FreePort()}";
        Start("dotnet", [Path.Combine(LocalStack.StateDirectory, "localaws", "Quetzal.LocalAws.dll"), "--urls", $"http://127.0.0.1:{controlPort};{containerS3}"], new Dictionary<string, string>
        {
            ["QUETZAL_LOCAL_ACCESS_KEY"] = "S3RVER", ["QUETZAL_LOCAL_SECRET_KEY"] = secret, ["QUETZAL_LOCAL_REGISTRY_TOKEN"] = token,
            ["QUETZAL_LOCAL_REGISTRY"] = $"127.0.0.1:{registryPort}", ["QUETZAL_LOCAL_CONDITIONAL_S3_PORT"] = "0", ["QUETZAL_LOCAL_UPDATE_DELAY_MS"] = "100",
            ["QUETZAL_LOCAL_CONTAINER_S3"] = containerS3, ["QUETZAL_LOCAL_S3_UPSTREAM"] = $"http://127.0.0.1:{s3Port}",
        });
        Start(Path.Combine(Repository.Root, "eng", "stack", "node_modules", ".bin", "s3rver"), ["-d", s3Data, "-a", "127.0.0.1", "-p", s3Port.ToString(), "--allow-mismatched-signatures", "--silent"]);
        WaitFor($"http://127.0.0.1:{registryPort}/v2/", "AWS", token);
        WaitFor($"http://127.0.0.1:{controlPort}/_local/health");
        WaitFor($"http://127.0.0.1:{s3Port}/");

        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = secret, ["AWS_SESSION_TOKEN"] = session,
            ["AWS_REGION"] = "ca-central-1", ["AWS_DEFAULT_REGION"] = "ca-central-1",
            ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{s3Port}", ["AWS_ENDPOINT_URL_ECR"] = $"http://127.0.0.1:{controlPort}",
            ["AWS_ENDPOINT_URL_LAMBDA"] = $"http://127.0.0.1:{controlPort}", ["AWS_ENDPOINT_URL_SFN"] = $"http://127.0.0.1:{controlPort}",
            ["AWS_ENDPOINT_URL_ECS"] = $"http://127.0.0.1:{controlPort}",
        };
        Assert.True(Processes.Run("aws", ["ecr", "create-repository", "--repository-name", name, "--endpoint-url", $"http://127.0.0.1:{controlPort}"], env).Succeeded);
        Assert.True(Processes.Run("aws", ["s3", "mb", $"s3://{name}", "--endpoint-url", $"http://127.0.0.1:{s3Port}"], env).Succeeded);

        // Scaffold, build and publish with a binary log and diagnostic verbosity.
        using var workspace = packages.Workspace();
        Assert.True(packages.New(workspace.Path, "quetzal-model", "-n", name).Succeeded);
        var model = workspace.Combine(name);
        var binlog = workspace.Combine("publish.binlog");
        var publish = packages.Run(model, ["build", "-t:Publish", "-nodeReuse:false", "-m:1", "-v:diag", $"-bl:{binlog}", $"-p:QuetzalBaseImage={LocalStack.BaseImage}"], env);
        Assert.True(publish.Succeeded, publish.Output[^Math.Min(4000, publish.Output.Length)..]);
        Assert.Contains("Lambda: created", publish.Output);

        // The model run on the (canary) stack: its output and the results it downloads.
        var run = packages.Run(model, ["run", $"-p:QuetzalBaseImage={LocalStack.BaseImage}", "--", "--mode", "aws"], env);
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("SUCCEEDED", run.Output);

        // Where a canary could land, read as bytes.
        var places = new List<(string Where, byte[] Bytes)> { ("console output", Encoding.UTF8.GetBytes(publish.Output)), ("the aws run's output", Encoding.UTF8.GetBytes(run.Output)) };
        using (var log = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress))
        using (var memory = new MemoryStream())
        {
            log.CopyTo(memory);
            places.Add(("binary log", memory.ToArray()));
        }
        foreach (var folder in new[] { model, registryData, s3Data })
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                places.Add((file, File.ReadAllBytes(file)));
        var images = Processes.Run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", $"reference=*{name}*"]).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Concat(
                Processes.Run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", $"reference=*/{name}*"]).Output
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(i => !i.EndsWith(":<none>", StringComparison.Ordinal))
            // The published image itself (its model layer is added in the registry): the engine has it since the aws run pulled it.
            .Append(System.Text.RegularExpressions.Regex.Match(publish.Output, @"Image: pushed ([^\s;]+)").Groups[1].Value).Distinct().ToArray();
        Assert.Contains(images, i => i.Contains("@sha256:", StringComparison.Ordinal));
        var saved = workspace.Combine("image.tar");
        Assert.True(Processes.Run("docker", ["save", "-o", saved, .. images]).Succeeded);
        places.Add(("the image's layers", File.ReadAllBytes(saved)));

        // The scan reads real bytes: the model's code is in the image and the registry, its inputs in the bucket.
        Assert.True(Contains(places.Single(p => p.Where == "the image's layers").Bytes, "def launcher_arg()"), "the image holds the model's steps");
        Assert.Contains(places, p => p.Where.StartsWith(registryData, StringComparison.Ordinal) && Contains(p.Bytes, "quetzal_handler"));
        Assert.Contains(places, p => p.Where.StartsWith(s3Data, StringComparison.Ordinal) && Contains(p.Bytes, "road_link_0"));

        var leaks = places.SelectMany(p => canaries.Where(c => Contains(p.Bytes, c)).Select(c => $"{c[..13]}... in {p.Where}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }
}
