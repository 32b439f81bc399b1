using Quetzal.Sdk.Core;
using Docker.DotNet;
using Docker.DotNet.Models;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Container;

/// <summary>The Docker engine as a publish uses it (see <see cref="ImageBuilder"/>).</summary>
public interface IImageEngine : IDisposable
{
    Task EnsureAvailableAsync(CancellationToken cancellation);
    Task BuildAsync(BuildContext context, string imageName, CancellationToken cancellation);

    /// <summary>Builds the dependencies of a staged context (<see cref="StagedBuild"/>) as <paramref name="imageName"/>, unless the engine has that image.</summary>
    Task BuildDependenciesAsync(BuildContext context, string imageName, CancellationToken cancellation);
    Task PushAsync(string localImage, string repositoryUri, string tag, RegistryCredentials credentials, CancellationToken cancellation);
}

/// <summary>
/// Builds the model's image through the Docker Engine API and pushes it. The classic builder makes one
/// linux/amd64 image manifest, never an index or attestation (Lambda rejects those). The registry password
/// goes to the engine in the request's auth header only: never into ~/.docker/config.json or a log.
/// </summary>
public sealed class ImageBuilder : IImageEngine
{
    private readonly DockerClient _docker;
    private readonly string _endpoint;
    private readonly IPublishLog _log;

    public ImageBuilder(IPublishLog log, string? dockerHost = null)
    {
        _log = log;
        _endpoint = dockerHost ?? DefaultEndpoint;
        _docker = new DockerClientConfiguration(new Uri(_endpoint), defaultTimeout: TimeSpan.FromMinutes(30)).CreateClient();
    }

    /// <summary>The engine the Docker CLI would use: DOCKER_HOST, else the platform's default socket or pipe.</summary>
    public static string DefaultEndpoint => Environment.GetEnvironmentVariable("DOCKER_HOST")
        ?? (OperatingSystem.IsWindows() ? "npipe://./pipe/docker_engine" : "unix:///var/run/docker.sock");

    public async Task EnsureAvailableAsync(CancellationToken cancellation)
    {
        try
        {
            await _docker.System.PingAsync(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new QuetzalException(Codes.DockerUnavailable, _endpoint, e.GetBaseException().Message);
        }
    }

    /// <summary>
    /// Builds the context into <paramref name="imageName"/> (repository:tag), streaming the engine's output to the log:
    /// the generated Dockerfile in two requests (<see cref="StagedBuild"/>; the dependencies only when the engine
    /// does not have them yet), a user's Dockerfile in one.
    /// </summary>
    public async Task BuildAsync(BuildContext context, string imageName, CancellationToken cancellation)
    {
        if (context.Stages is not { } staged)
        {
            using var whole = context.OpenTar();
            await BuildAsync(context, whole, imageName, cancellation);
            return;
        }
        var dependencies = staged.DependenciesImage(imageName);
        await BuildDependenciesAsync(context, dependencies, cancellation);
        using var model = BuildContext.Open(staged.Model(dependencies));
        await BuildAsync(context, model, imageName, cancellation);
    }

    public async Task BuildDependenciesAsync(BuildContext context, string imageName, CancellationToken cancellation)
    {
        var staged = context.Stages ?? throw new InvalidOperationException("the context is not staged");
        if (await HasImageAsync(imageName, cancellation))
        {
            _log.Detail($"  dependencies: {imageName} (the engine has them)");
            return;
        }
        _log.Detail($"  dependencies: {imageName}");
        using var tar = BuildContext.Open(staged.Dependencies);
        await BuildAsync(context, tar, imageName, cancellation);
    }

    private async Task<bool> HasImageAsync(string image, CancellationToken cancellation)
    {
        try
        {
            await _docker.Images.InspectImageAsync(image, cancellation);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    private async Task BuildAsync(BuildContext context, Stream tar, string imageName, CancellationToken cancellation)
    {
        var output = new List<string>();
        string? error = null;
        var progress = new Progress(message =>
        {
            if (!string.IsNullOrEmpty(message.ErrorMessage)) error = message.ErrorMessage.Trim();
            var line = message.Stream?.TrimEnd('\n');
            if (string.IsNullOrEmpty(line)) return;
            lock (output) output.Add(line);
            if (line.StartsWith("Step ", StringComparison.Ordinal)) _log.Info("  " + line);
            else _log.Detail("  " + line);
        });
        try
        {
            await _docker.Images.BuildImageFromDockerfileAsync(
                new ImageBuildParameters { Tags = [imageName], Dockerfile = "Dockerfile", Platform = "linux/amd64", Remove = true, ForceRemove = true, Pull = null },
                tar, null, null, progress, cancellation);
        }
        catch (DockerApiException e)
        {
            // The engine refuses a Dockerfile it cannot parse before any step runs ("dockerfile parse error on line 3: ...").
            var reason = string.Join(" | ", (e.ResponseBody ?? e.Message).Split('\n').Select(Plain).Where(l => l.Length > 0));
            var match = System.Text.RegularExpressions.Regex.Match(reason, @"line (\d+)");
            var line = match.Success && File.Exists(context.Dockerfile) && !GeneratedFiles.IsOwnedBySdk(context.Dockerfile) ? int.Parse(match.Groups[1].Value) : 0;
            throw new QuetzalException(Codes.ImageBuildFailed.Create(line > 0 ? context.Dockerfile : null, line, line > 0 ? 1 : 0, reason));
        }
        if (error is not null)
        {
            List<string> lines;
            lock (output) lines = output;
            throw new QuetzalException(BuildFailure(context.Dockerfile, lines, error));
        }
    }

    /// <summary>
    /// One error, on one line of plain text: the failing step (the last "Step n/m"), the engine's error and the tail
    /// of what the step printed. It is located at the Dockerfile's line of that step when the Dockerfile is the user's.
    /// </summary>
    internal static Diagnostic BuildFailure(string dockerfile, IReadOnlyList<string> output, string error)
    {
        var lines = output.Select(Plain).Where(l => l.Length > 0).ToList();
        var at = lines.FindLastIndex(l => l.StartsWith("Step ", StringComparison.Ordinal));
        var step = at < 0 ? null : lines[at];
        var tail = (at < 0 ? lines : lines.Skip(at + 1)).Where(l => !l.StartsWith("---> ", StringComparison.Ordinal)).TakeLast(12).ToList();
        var message = (step is null ? "" : step + ": ") + Plain(error) + (tail.Count > 0 ? " | output: " + string.Join(" | ", tail) : "");
        var line = 0;
        if (step is not null && File.Exists(dockerfile) && !GeneratedFiles.IsOwnedBySdk(dockerfile)
            && int.TryParse(step["Step ".Length..].Split('/')[0], out var number))
            line = InstructionLine(File.ReadAllLines(dockerfile), number);
        return Codes.ImageBuildFailed.Create(line > 0 ? dockerfile : null, line, line > 0 ? 1 : 0, message);
    }

    /// <summary>The 1-based line where the <paramref name="number"/>th instruction of a Dockerfile starts (comments, blank and continued lines skipped), or 0.</summary>
    internal static int InstructionLine(IReadOnlyList<string> dockerfile, int number)
    {
        var count = 0;
        var continued = false;
        for (var i = 0; i < dockerfile.Count; i++)
        {
            var text = dockerfile[i].Trim();
            var starts = !continued && text.Length > 0 && !text.StartsWith('#');
            continued = text.EndsWith('\\') || (continued && (text.Length == 0 || text.StartsWith('#')));
            if (starts && ++count == number) return i + 1;
        }
        return 0;
    }

    /// <summary>Text without terminal escapes (pip's colours) or carriage returns.</summary>
    private static string Plain(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\x1B\[[0-9;?]*[A-Za-z]|\r", "").Trim();

    /// <summary>Tags the local image and pushes the tag with the registry login handed to the engine for this request only.</summary>
    public async Task PushAsync(string localImage, string repositoryUri, string tag, RegistryCredentials credentials, CancellationToken cancellation)
    {
        await _docker.Images.TagImageAsync(localImage, new ImageTagParameters { RepositoryName = repositoryUri, Tag = tag, Force = true }, cancellation);
        string? error = null;
        var progress = new Progress(message =>
        {
            if (!string.IsNullOrEmpty(message.ErrorMessage)) error = message.ErrorMessage.Trim();
            if (!string.IsNullOrEmpty(message.Status) && message.Status is "Pushed" or "Layer already exists") _log.Detail($"  {message.ID}: {message.Status}");
        });
        try
        {
            await _docker.Images.PushImageAsync($"{repositoryUri}:{tag}", new ImagePushParameters { Tag = tag },
                new AuthConfig { Username = credentials.UserName, Password = credentials.Password, ServerAddress = credentials.Registry }, progress, cancellation);
        }
        catch (DockerApiException e)
        {
            throw new QuetzalException(Codes.ImagePushFailed, repositoryUri, e.ResponseBody?.Trim() ?? e.Message);
        }
        if (error is not null) throw new QuetzalException(Codes.ImagePushFailed, repositoryUri, error);
    }

    public void Dispose() => _docker.Dispose();

    private sealed class Progress(Action<JSONMessage> report) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value) => report(value);
    }
}
