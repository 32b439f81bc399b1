namespace Quetzal.Sdk.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => $"exit code {ExitCode}\n{Output}";
}

/// <summary>Runs the real dotnet CLI, the way a modeller does.</summary>
public static class DotNet
{
    public static ProcessResult Run(string workingDirectory, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };
        if (environment is not null) foreach (var (name, value) in environment) variables[name] = value;
        // Keep the test host's own MSBuild settings out of the child build.
        return Processes.Run("dotnet", arguments, variables, workingDirectory, timeout, unset: TestHostVariables);
    }

    /// <summary>The test host's own MSBuild settings, which a child build must not inherit.</summary>
    public static readonly IReadOnlyList<string> TestHostVariables = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH", "VSTEST_HOST_DEBUG"];

    /// <summary>A build as the tests want it: one node, no node reuse, normal verbosity so skipped targets show.</summary>
    public static ProcessResult Build(string projectDirectory, params string[] extra)
        => Run(projectDirectory, ["build", "-nodeReuse:false", "-m:1", "-v:n", "-clp:NoSummary", .. extra]);
}
