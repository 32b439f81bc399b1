using System.CommandLine;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Validation;
using Quetzal.Sdk.Workflow;

namespace Quetzal.Sdk;

/// <summary>The SDK's program: what `dotnet run` of a model calls (see RunCommand in Sdk.targets).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // The network worker (see NetworkCheck) reads its three arguments itself: it starts once per large network in
        // a build, and System.CommandLine, which is not precompiled, would have 200 methods compiled in each.
        if (args is [NetworkCheck.WorkerCommand, ..]) return NetworkCheck.Worker(args[1..], Console.Out, Console.Error);

        // What the build passes (hidden): the model it resolved. What a modeller types: the rest.
        var modelFile = new Option<string>("--model") { Hidden = true, Required = true, Description = "The model the build resolved (obj/quetzal/model.json)." };
        var image = new Option<string?>("--image") { Hidden = true, Description = "docker mode: this image instead of the model's." };
        var scenario = new Option<string[]>("--scenario", "-s") { Description = "The scenario to run (default: base); several: repeat the option, or separate with ',' (side by side as --parallel allows locally, at once in aws mode).", AllowMultipleArgumentsPerToken = true };
        var input = new Option<string?>("--input", "-i") { Description = "The execution input: JSON, or @file (default: what Quenedi sends)." };
        var mode = new Option<string?>("--mode", "-m") { Description = "python (the local interpreter), docker (the model's image) or aws (the deployed model); default: QuetzalRunMode." };
        var workflow = new Option<string?>("--workflow", "-w") { Description = "The workflow (Quenedi's choice, params.json's 'model') whose parameters the default input carries (default: default)." };
        var follow = new Option<string?>("--follow") { Description = "aws mode: follow this execution (its ARN) instead of starting one." };
        var detach = new Option<bool>("--detach") { Description = "aws mode: Ctrl+C leaves the executions running (and says how to follow them)." };
        var allowStale = new Option<bool>("--allow-stale") { Description = "aws mode: run what is deployed even when it differs from this folder." };
        var parallel = new Option<int?>("--parallel") { Description = "python and docker modes: how many scenarios run side by side (default: half the machine's cores, at least 1; each step uses cores of its own)." };

        var run = new Command("run", "Runs the model's workflow locally on a scenario, state by state.")
        {
            modelFile, image, scenario, input, mode, workflow, follow, detach, allowStale, parallel,
        };
        run.SetAction((parse, _) =>
        {
            Model.ResolvedModel model;
            try
            {
                model = Model.ResolvedModel.Read(parse.GetValue(modelFile)!);
            }
            catch (QuetzalException e)
            {
                foreach (var d in e.Diagnostics) Console.WriteLine(d.ToString());
                return Task.FromResult(1);
            }
            var chosen = (parse.GetValue(scenario) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var chosenMode = parse.GetValue(mode) ?? model.RunMode;
            var chosenWorkflow = parse.GetValue(workflow) ?? ParamsValidator.DefaultWorkflow;
            var cancellation = Interruption.Token;
            if (chosenMode == "aws")
            {
                var awsOptions = new AwsRunOptions
                {
                    Model = model, Scenarios = chosen, Input = parse.GetValue(input), Workflow = chosenWorkflow,
                    BucketDirectory = Path.Combine(model.RunDirectory, "bucket"),
                    Follow = parse.GetValue(follow), Detach = parse.GetValue(detach), AllowStale = parse.GetValue(allowStale),
                };
                return new AwsRun(awsOptions, Console.Out, Console.IsInputRedirected ? null : Console.ReadLine).ExecuteAsync(cancellation);
            }
            if (parse.GetValue(follow) is not null || parse.GetValue(detach) || parse.GetValue(allowStale))
            {
                Console.WriteLine(Codes.InvalidInput.Create(null, $"--follow, --detach and --allow-stale are for --mode aws, which follows executions on AWS; a {chosenMode} mode run is followed here until it ends").ToString());
                return Task.FromResult(1);
            }
            if (parse.GetValue(parallel) is < 1)
            {
                Console.WriteLine(Codes.InvalidInput.Create(null, $"--parallel is how many scenarios run side by side: 1 or more, not {parse.GetValue(parallel)}").ToString());
                return Task.FromResult(1);
            }
            if (chosen.Count > 1 && parse.GetValue(input) is not null)
            {
                Console.WriteLine(Codes.InvalidInput.Create(null, $"--input is the execution input of one scenario (its scenario_path_S3 names it); give one --scenario with it, not {chosen.Count}").ToString());
                return Task.FromResult(1);
            }
            return RunLocallyAsync(model, chosen.Count == 0 ? [model.RunScenario] : chosen.Distinct(StringComparer.Ordinal).ToList(),
                chosenMode, parse.GetValue(input), parse.GetValue(image), chosenWorkflow, parse.GetValue(parallel) ?? Math.Max(1, Environment.ProcessorCount / 2), cancellation);
        });
        var root = new RootCommand("Quetzal.Sdk tools.") { run };
        // No response files: "--input @file" is ours. Ctrl+C is handled here (Interruption), not by System.CommandLine,
        // which would end the process 2 s after it: an aws run asks whether to stop its executions first.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // What a modeller types after `dotnet run --`: the options the build passes are hidden (Hidden = true) and never shown.
        var typed = run.Options.Where(o => !o.Hidden && o.Name.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (args is ["run", ..] && args.Skip(1).Any(a => a is "--help" or "-h" or "-?" or "/?" or "/h"))
        {
            Console.Out.Write(RunHelp.Text(run.Description!, typed));
            return 0;
        }
        if (args is ["run", ..] && parsed.Errors.Count > 0)
        {
            foreach (var line in RunHelp.Errors(parsed.Errors.Select(e => e.Message), args, typed)) Console.Error.WriteLine(line);
            return 1;
        }
        return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>
    /// A python or docker mode run of one or several scenarios, each to its own results folder: side by side, up to
    /// <paramref name="parallel"/> at once, each line of a run's output led by its scenario's name (one at a time, a
    /// run's lines come as they are, under a heading); a table ends a run of several, and the exit code is not 0 when
    /// any failed.
    /// </summary>
    private static async Task<int> RunLocallyAsync(Model.ResolvedModel model, IReadOnlyList<string> scenarios, string mode, string? input, string? image,
        string workflow, int parallel, CancellationToken cancellation)
    {
        var results = new (int Code, TimeSpan Took)?[scenarios.Count];
        var sideBySide = Math.Min(parallel, scenarios.Count);
        var console = TextWriter.Synchronized(Console.Out);
        if (sideBySide > 1) console.WriteLine($"Running {scenarios.Count} scenarios, {sideBySide} side by side (--parallel); each line starts with its scenario.");
        var width = scenarios.Max(s => s.Length);
        var started = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, scenarios.Count), new ParallelOptions { MaxDegreeOfParallelism = sideBySide }, async (index, _) =>
        {
            if (cancellation.IsCancellationRequested) return;
            var scenario = scenarios[index];
            var number = Interlocked.Increment(ref started);
            TextWriter output = console;
            if (sideBySide > 1) output = new LinePrefixWriter(console, $"[{scenario.PadRight(width)}] ");
            else if (scenarios.Count > 1) console.WriteLine($"{(number > 1 ? "\n" : "")}=== scenario '{scenario}' ({number} of {scenarios.Count}) ===");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var options = new LocalRunOptions { Model = model, Scenario = scenario, Input = input, Mode = mode, Image = image, Workflow = workflow };
            var code = await new LocalRun(options, output).ExecuteAsync(cancellation);
            output.Flush();
            results[index] = (code, clock.Elapsed);
        });
        if (scenarios.Count > 1)
        {
            console.WriteLine();
            console.WriteLine($"{"scenario",-24} {"result",-10} {"time",9}  results");
            for (var i = 0; i < scenarios.Count; i++)
                console.WriteLine(results[i] is var (code, took)
                    ? $"{scenarios[i],-24} {(code == 0 ? "succeeded" : "failed"),-10} {took.TotalSeconds,8:0.0}s  {Path.Combine(model.RunDirectory, "bucket", scenarios[i])}"
                    : $"{scenarios[i],-24} {"not run",-10}");
        }
        return results.Any(r => r is null) ? 130 : results.Select(r => r!.Value.Code).FirstOrDefault(c => c != 0);
    }
}

/// <summary>A writer that leads each whole line with a prefix (a scenario's name), so that runs side by side stay readable.</summary>
internal sealed class LinePrefixWriter(TextWriter inner, string prefix) : TextWriter
{
    private readonly System.Text.StringBuilder _line = new();

    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_line) Append(value);
    }

    private void Append(char value)
    {
        if (value == '\r') return;
        if (value != '\n')
        {
            _line.Append(value);
            return;
        }
        inner.WriteLine(prefix + _line);
        _line.Clear();
    }

    public override void Write(string? value)
    {
        lock (_line)
            foreach (var c in value ?? "") Append(c);
    }

    public override void WriteLine(string? value)
    {
        lock (_line)
        {
            foreach (var c in value ?? "") Append(c);
            Append('\n');
        }
    }

    public override void Flush()
    {
        lock (_line)
            if (_line.Length > 0) Append('\n');
        inner.Flush();
    }
}

/// <summary>The help and the errors a modeller sees from `dotnet run -- ...`: only the options they type, under the command they typed.</summary>
internal static class RunHelp
{
    public static string Text(string description, IReadOnlyList<Option> options)
    {
        var text = new System.Text.StringBuilder();
        text.Append(description).Append("\n\nUsage:\n  dotnet run [-- options]\n\nOptions:\n");
        var names = options.Select(o => string.Join(", ", o.Aliases.Order().Append(o.Name)) + (o.ValueType == typeof(bool) ? "" : " <value>")).ToList();
        var width = names.Max(n => n.Length) + 2;
        for (var i = 0; i < options.Count; i++)
            text.Append("  ").Append(names[i].PadRight(width)).Append(options[i].Description).Append('\n');
        text.Append("  ").Append("-h, --help".PadRight(width)).Append("Shows this help.\n");
        text.Append("\nThe rest (model, scenarios folder, bucket, function, Fargate settings, ...) comes from the project's properties: see the SDK's docs/model.md and docs/running.md.\n");
        return text.ToString();
    }

    /// <summary>
    /// The parse errors as a modeller should read them: an unknown option with the nearest one they can type; the value
    /// after an unknown option is not a second error; options the build passes are never named (a missing one means the
    /// program was not started by `dotnet run`).
    /// </summary>
    public static IEnumerable<string> Errors(IEnumerable<string> messages, IReadOnlyList<string> args, IReadOnlyList<Option> options)
    {
        var notStartedByBuild = false;
        foreach (var message in messages)
        {
            var unknown = System.Text.RegularExpressions.Regex.Match(message, "^Unrecognized command or argument '(.*)'");
            if (!unknown.Success)
            {
                if (message.StartsWith("Option '--", StringComparison.Ordinal) && message.EndsWith("' is required.", StringComparison.Ordinal))
                    notStartedByBuild = true;
                else
                    yield return Codes.InvalidInput.Create(null, message).ToString();
                continue;
            }
            var token = unknown.Groups[1].Value;
            var at = args.ToList().IndexOf(token);
            if (!token.StartsWith('-') && at > 0 && args[at - 1].StartsWith('-') && !options.Any(o => o.Name == args[at - 1] || o.Aliases.Contains(args[at - 1])))
                continue;
            var nearest = token.StartsWith('-') ? Suggestions.Nearest(token, options.SelectMany(o => o.Aliases.Append(o.Name))) : null;
            yield return Codes.UnknownRunOption.Create(null, token, nearest is null ? "" : $" Did you mean '{nearest}'?").ToString();
        }
        if (notStartedByBuild)
            yield return Codes.InvalidInput.Create(null, "the model's settings are missing: run `dotnet run` in the model's folder, which passes them").ToString();
    }
}

/// <summary>Ctrl+C (SIGINT) and SIGTERM as a cancellation: the run in progress stops as it should, then the process ends.</summary>
internal static class Interruption
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly System.Runtime.InteropServices.PosixSignalRegistration? Terminate;

    static Interruption()
    {
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            Source.Cancel();
        };
        Terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Source.Cancel();
        });
    }

    public static CancellationToken Token => Source.Token;
}
