using System.Diagnostics;
using System.Text;

namespace Quetzal.Sdk.Tests.Infrastructure;

public static class Processes
{
    /// <param name="unset">Variables of this process the child must not inherit.</param>
    public static ProcessResult Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null,
        TimeSpan? timeout = null, IEnumerable<string>? unset = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in unset ?? []) start.Environment.Remove(name);
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish:\n{output}");
        }
        process.WaitForExit();
        lock (output) return new ProcessResult(process.ExitCode, output.ToString());
    }

    /// <summary>
    /// Makes a process the tests will interrupt (SIGINT, what Ctrl+C sends) hear it: a suite started in the background
    /// by a non-interactive shell (<c>nohup ... &amp;</c>, some CI runners) has SIGINT ignored, and an ignored signal stays
    /// ignored in every process started from it, which then would not stop. <c>env --default-signal</c> restores it.
    /// </summary>
    public static ProcessStartInfo Interruptible(ProcessStartInfo start)
    {
        if (!SigintIgnored()) return start;
        var arguments = start.ArgumentList.ToList();
        start.ArgumentList.Clear();
        foreach (var argument in (string[])["--default-signal=INT", start.FileName, .. arguments]) start.ArgumentList.Add(argument);
        start.FileName = "env";
        return start;
    }

    /// <summary>
    /// Disposes <paramref name="process"/>, first ending it and its children if it still runs: a test that fails
    /// while a build it started runs (one that did not stop when interrupted, say) leaves nothing running behind it.
    /// </summary>
    public static IDisposable Ending(Process process) => new Ender(process);

    private sealed class Ender(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended meanwhile.
            }
            process.Dispose();
        }
    }

    private static bool SigintIgnored()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return false;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0;
    }
}

/// <summary>Images for the tests, pushed with the docker CLI (the SDK's own push is what the publish tests check).</summary>
public static class TestImages
{
    public static string Push(string repository, string tag = "v1")
    {
        var image = $"{LocalStack.Registry}/{repository}:{tag}";
        var config = Path.Combine(Path.GetTempPath(), $"qtz-docker-config-{Guid.NewGuid():N}");
        Directory.CreateDirectory(config);
        try
        {
            var env = new Dictionary<string, string> { ["DOCKER_CONFIG"] = config };
            Check(Processes.Run("docker", ["tag", LocalStack.BaseImage, image], env));
            var login = new ProcessStartInfo("docker", ["login", LocalStack.Registry, "-u", "AWS", "--password-stdin"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            login.Environment["DOCKER_CONFIG"] = config;
            using (var process = System.Diagnostics.Process.Start(login)!)
            {
                process.StandardInput.Write(LocalStack.RegistryToken);
                process.StandardInput.Close();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
            }
            Check(Processes.Run("docker", ["push", "-q", image], env));
            return image;
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }

    private static void Check(ProcessResult result) => Assert.True(result.Succeeded, result.ToString());
}
