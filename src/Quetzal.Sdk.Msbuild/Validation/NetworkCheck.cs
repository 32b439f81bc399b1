using Quetzal.Sdk.Core;
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// Validates one network: its nodes, then its links against them.
/// <para>
/// A large network (from <see cref="WorkerThreshold"/>) is validated in a worker process, this assembly run by the
/// same dotnet host with tiered compilation told not to wait: in a build, the validator's code is new to the
/// process, and the runtime keeps the hot loop of JSON reading in its slow first tiers for the first second or so
/// (its tiering delay restarts whenever new code is compiled). On a 400 MB network that is a third of the time. The
/// worker also gives its memory back to the system when it ends, instead of leaving it in a long-lived build node.
/// Its diagnostics come back as JSON lines; if the worker cannot be started or does not answer, the network is
/// validated in this process, with the same result.
/// </para>
/// </summary>
public static class NetworkCheck
{
    internal const long WorkerThreshold = 64L << 20;

    public const string WorkerCommand = "validate-network";

    /// <summary>Validates <paramref name="nodes"/>, then <paramref name="links"/> (null: none) against them.</summary>
    public static void Validate(string nodes, string? links, bool isPt, DiagnosticBag bag, CancellationToken cancellation = default)
        => Validate(nodes, links, isPt, bag, WorkerThreshold, cancellation, out _);

    internal static void Validate(string nodes, string? links, bool isPt, DiagnosticBag bag, long workerThreshold, CancellationToken cancellation, out bool inWorker)
    {
        inWorker = Size(nodes) + Size(links) >= workerThreshold && InWorker(nodes, links, isPt, bag, cancellation);
        if (!inWorker) InProcess(nodes, links, isPt, bag, cancellation);
    }

    /// <summary>What the worker runs, and what runs here when there is no worker.</summary>
    public static void InProcess(string nodes, string? links, bool isPt, DiagnosticBag bag, CancellationToken cancellation)
    {
        var indexes = NetworkValidator.ValidateNodes(nodes, isPt, bag, cancellation);
        if (links is not null) NetworkValidator.ValidateLinks(links, isPt, indexes, nodes, bag, cancellation);
    }

    /// <summary>
    /// The worker: <c>--nodes FILE [--links FILE] [--pt]</c>, as <see cref="InWorker"/> starts it; prints the
    /// network's diagnostics as JSON lines. Returns 2 on arguments it does not know (the build then validates in process).
    /// </summary>
    public static int Worker(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? nodes = null, links = null;
        var isPt = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--nodes" when i + 1 < args.Count: nodes = args[++i]; break;
                case "--links" when i + 1 < args.Count: links = args[++i]; break;
                case "--pt": isPt = true; break;
                default:
                    error.WriteLine($"{WorkerCommand}: unexpected argument '{args[i]}'; usage: {WorkerCommand} --nodes FILE [--links FILE] [--pt]");
                    return 2;
            }
        }
        if (nodes is null)
        {
            error.WriteLine($"{WorkerCommand}: --nodes FILE is required");
            return 2;
        }
        var bag = new DiagnosticBag();
        InProcess(nodes, links, isPt, bag, CancellationToken.None);
        Write(bag.Items, output);
        return 0;
    }

    /// <summary>Writes diagnostics one JSON object a line: the worker's answer.</summary>
    public static void Write(IEnumerable<Diagnostic> diagnostics, TextWriter output)
    {
        foreach (var d in diagnostics)
            output.WriteLine(DiagnosticRecord.From(d).ToJson());
        output.Flush();
    }

    private static long Size(string? path)
    {
        try
        {
            return path is not null && ModelFiles.Exists(path) ? new FileInfo(path).Length : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static bool InWorker(string nodes, string? links, bool isPt, DiagnosticBag bag, CancellationToken cancellation)
    {
        var assembly = typeof(NetworkCheck).Assembly.Location;
        var runtimeConfig = Path.ChangeExtension(assembly, ".runtimeconfig.json");
        var host = DotnetHost();
        if (assembly.Length == 0 || !File.Exists(runtimeConfig) || host is null) return false;

        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in new[] { "exec", "--runtimeconfig", runtimeConfig, assembly, WorkerCommand, "--nodes", nodes })
            start.ArgumentList.Add(argument);
        if (links is not null)
        {
            start.ArgumentList.Add("--links");
            start.ArgumentList.Add(links);
        }
        if (isPt) start.ArgumentList.Add("--pt");
        // Optimise hot code as soon as it is hot (no delay), without first instrumenting it.
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
        {
            return false;
        }
        using (process)
        using (cancellation.Register(() => Kill(process)))
        {
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var diagnostics = new List<Diagnostic>();
            var understood = true;
            while (process.StandardOutput.ReadLine() is { } line)
                understood &= TryRead(line, diagnostics);
            process.WaitForExit();
            _ = errors.Result;
            cancellation.ThrowIfCancellationRequested();
            if (!understood || process.ExitCode != 0) return false;
            bag.AddRange(diagnostics);
            return true;
        }
    }

    private static bool TryRead(string line, List<Diagnostic> diagnostics)
    {
        if (DiagnosticRecord.Parse(line)?.Restore() is not { } diagnostic) return false;
        diagnostics.Add(diagnostic);
        return true;
    }

    /// <summary>The dotnet host this process runs on: MSBuild names it to its tasks in DOTNET_HOST_PATH.</summary>
    private static string? DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } named && File.Exists(named)) return named;
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : null;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }
}
