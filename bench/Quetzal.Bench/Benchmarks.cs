using Quetzal.Sdk.Core;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Bench;

/// <summary>A bare System.Text.Json token pass: the speed limit of reading a file, the yardstick of validation.</summary>
public static class Bare
{
    public static long Tokens(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        var length = stream.Read(buffer);
        var state = new JsonReaderState();
        var final = length == 0;
        long tokens = 0;
        while (true)
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, state);
            while (reader.Read()) tokens++;
            if (final) return tokens;
            state = reader.CurrentState;
            var consumed = (int)reader.BytesConsumed;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, length - consumed);
            length -= consumed;
            var read = stream.Read(buffer, length, buffer.Length - length);
            length += read;
            final = read == 0;
        }
    }
}

public sealed record Row(string Benchmark, string Measured, string Target, bool? Met);

public static class Benchmarks
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string repository, string work, int links, int runs)
    {
        Directory.CreateDirectory(work);
        var rows = new List<Row>();
        var bench = typeof(Benchmarks).Assembly.Location;

        // 1. Network validation against a bare token pass and Python's json.load, on the same files.
        var network = Path.Combine(work, $"network-{links}");
        if (!File.Exists(Path.Combine(network, "links.geojson")))
        {
            Console.WriteLine($"generating a {links:N0}-link road network in {network}");
            NetworkGenerator.Road(network, links);
        }
        var megabytes = (new FileInfo(Path.Combine(network, "nodes.geojson")).Length + new FileInfo(Path.Combine(network, "links.geojson")).Length) / 1048576.0;
        // Interleaved (bare, validation, Python; again), so that a host that slows down or speeds up during the runs
        // weighs on the three alike rather than on whichever ran then.
        var (bare, validate, python) = Interleaved(runs,
            () => Child("dotnet", bench, "measure", "bare", network),
            () => Child("dotnet", bench, "measure", "validate", network),
            () => Child("/usr/bin/python3", "-c",
                "import json,resource,sys,time\nt=time.perf_counter()\nfor f in sys.argv[1:]: json.load(open(f))\nprint(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)",
                Path.Combine(network, "nodes.geojson"), Path.Combine(network, "links.geojson")));
        var share = bare.Seconds / validate.Seconds;
        var faster = python.Seconds / validate.Seconds;
        rows.Add(new($"bare Utf8JsonReader pass ({megabytes:F0} MB, {links:N0} links + nodes)", $"{bare.Seconds:F2} s ({megabytes / bare.Seconds:F0} MB/s)", "", null));
        rows.Add(new("network validation, all rules", $"{validate.Seconds:F2} s ({megabytes / validate.Seconds:F0} MB/s), peak {validate.PeakMb:F0} MB", "", null));
        rows.Add(new("Python json.load of the same files", $"{python.Seconds:F2} s, peak {python.PeakMb:F0} MB", "", null));
        rows.Add(new("validation throughput / bare pass", $"{share:P0}", ">= 90%", share >= 0.90));
        rows.Add(new("validation speed / Python json.load", $"{faster:F1}x", ">= 8x", faster >= 8));
        rows.Add(new("validation peak memory", $"{validate.PeakMb:F0} MB", "< 300 MB", validate.PeakMb < 300));

        // The same validation inside a real dotnet build of a model holding that network (the task's own time).
        var networkModel = Model(repository, work, "bench-network-model");
        foreach (var file in new[] { "nodes.geojson", "links.geojson" })
            Link(Path.Combine(network, file), Path.Combine(networkModel, "scenarios", "base", "inputs", "road", file));
        Run("dotnet", networkModel, "build", "-nodeReuse:false");
        var inBuild = Median(runs, () =>
        {
            File.SetLastWriteTimeUtc(Path.Combine(networkModel, "scenarios", "base", "inputs", "road", "links.geojson"), DateTime.UtcNow);
            var summary = Run("dotnet", networkModel, "build", "--no-restore", "-nodeReuse:false", "-clp:PerformanceSummary");
            var line = summary.Split('\n').First(l => l.Contains("ValidateQuetzalModel", StringComparison.Ordinal) && l.Contains(" ms ", StringComparison.Ordinal));
            return new Sample(double.Parse(line.Trim().Split(' ')[0], Invariant) / 1000, 0);
        });
        rows.Add(new("the same in a dotnet build of a model (ValidateQuetzalModel task, whole model)", $"{inBuild.Seconds:F2} s", "", null));

        // 2. A no-op build against projects whose Build target is empty: an SDK-style project (what a model is: it
        // rides on Microsoft.NET.Sdk, as NoTargets and Traversal do, so that IDEs and solutions treat it as a .NET
        // project), and, for scale, a bare MSBuild project.
        var model = Model(repository, work);
        Run("dotnet", model, "build", "-nodeReuse:false");
        var noop = Median(runs, () => Timed("dotnet", model, "build", "--no-restore", "-nodeReuse:false"));
        var sdkFolder = Path.Combine(work, "sdk-empty");
        Directory.CreateDirectory(sdkFolder);
        File.WriteAllText(Path.Combine(sdkFolder, "sdk-empty.csproj"),
            "<Project>\n  <Import Project=\"Sdk.props\" Sdk=\"Microsoft.NET.Sdk\" />\n  <PropertyGroup><TargetFramework>net8.0</TargetFramework><DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences></PropertyGroup>\n  <Import Project=\"Sdk.targets\" Sdk=\"Microsoft.NET.Sdk\" />\n  <Target Name=\"Build\" />\n</Project>\n");
        Run("dotnet", sdkFolder, "restore", "-nodeReuse:false");
        var sdkEmpty = Median(runs, () => Timed("dotnet", sdkFolder, "build", "--no-restore", "-nodeReuse:false"));
        var emptyFolder = Path.Combine(work, "empty");
        Directory.CreateDirectory(emptyFolder);
        File.WriteAllText(Path.Combine(emptyFolder, "empty.proj"), "<Project><Target Name=\"Build\" /></Project>\n");
        var empty = Median(runs, () => Timed("dotnet", emptyFolder, "build", "empty.proj", "--no-restore", "-nodeReuse:false"));
        var skipped = Run("dotnet", model, "build", "--no-restore", "-nodeReuse:false", "-v:n").Contains("Quetzal: ValidateQuetzalModel is up to date", StringComparison.Ordinal);
        rows.Add(new("no-op dotnet build of a model", $"{noop.Seconds:F2} s (validation skipped: {(skipped ? "yes" : "NO")})", "", null));
        rows.Add(new("dotnet build of an SDK-style project (Microsoft.NET.Sdk) with an empty Build target", $"{sdkEmpty.Seconds:F2} s", "", null));
        rows.Add(new("no-op build / SDK-style empty build", $"{noop.Seconds / sdkEmpty.Seconds:F2}x", "<= 1.5x", skipped && noop.Seconds / sdkEmpty.Seconds <= 1.5));
        rows.Add(new("dotnet build of a bare MSBuild project with an empty Build target", $"{empty.Seconds:F2} s (no-op build / this: {noop.Seconds / empty.Seconds:F2}x)", "", null));

        // 3. Build context: what the SDK sends, against the parent folder the original flow sent.
        // The model holding the large network, in a folder of its own (the original flow sent the model's parent folder).
        var context = BuildContext.Create(networkModel, Path.Combine(repository, "src", "Quetzal.Sdk.Msbuild", "handler"), null);
        var parent = Directory.EnumerateFiles(networkModel, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        rows.Add(new($"build context sent to the engine (model with the {megabytes:F0} MB network)", $"{context.Entries.Count} files, {Bytes.Format(context.FileBytes)}", "", null));
        rows.Add(new("what the original flow sent (the folder holding the model, at least)", $"{Bytes.Format(parent)}", "", null));

        // 4. A local run of a two-state workflow: what the run adds to its steps (no stack needed).
        LocalRunBenchmarks(rows, repository, work, runs);

        // 5. S3 upload of a fresh scenario, and publishing, against the local stack.
        if (await StackAnswersAsync())
        {
            await S3Async(rows, work, runs);
            PublishBenchmarks(rows, model, networkModel, megabytes, runs);
            InnerLoopBenchmarks(rows, repository, work, runs);
        }
        else
        {
            rows.Add(new("S3 upload and publish", "not measured: the local stack is not running (eng/stack.sh up)", "", false));
        }

        Print(rows);
        return rows.Any(r => r.Met == false) ? 1 : 0;
    }

    private static async Task S3Async(List<Row> rows, string work, int runs)
    {
        var scenario = Path.Combine(work, "s3-scenario", "base");
        var inputs = Path.Combine(scenario, "inputs", "road");
        if (!File.Exists(Path.Combine(inputs, "links.geojson"))) NetworkGenerator.Road(inputs, 100_000, seed: 2);
        var bytes = Directory.EnumerateFiles(scenario, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0;
        var env = StackEnvironment();
        var settings = new AwsSettings("ca-central-1", null, n => env.GetValueOrDefault(n), new BasicAWSCredentials("S3RVER", "S3RVER"));
        using var s3 = new AmazonS3Client("S3RVER", "S3RVER", new AmazonS3Config { ServiceURL = "http://127.0.0.1:4568", ForcePathStyle = true });

        var sdk = new List<double>();
        var cli = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var bucket = $"bench-sdk-{Guid.NewGuid():N}"[..24];
            await s3.PutBucketAsync(bucket);
            var clock = Stopwatch.StartNew();
            using (var client = S3Clients.Create(settings))
            {
                var publisher = new ScenarioPublisher(client, S3Profile.For(settings), NullPublishLog.Instance);
                await publisher.ApplyAsync(bucket, await publisher.PlanAsync(bucket, Path.GetDirectoryName(scenario)!, ["base"], false, default), default);
            }
            if (i > 0) sdk.Add(clock.Elapsed.TotalSeconds);

            var cliBucket = $"bench-cli-{Guid.NewGuid():N}"[..24];
            await s3.PutBucketAsync(cliBucket);
            clock.Restart();
            Run("aws", work, new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" }, "--endpoint-url", "http://127.0.0.1:4568", "s3", "sync", scenario, $"s3://{cliBucket}/base/", "--only-show-errors");
            if (i > 0) cli.Add(clock.Elapsed.TotalSeconds);
        }
        var sdkSeconds = Median(sdk);
        var cliSeconds = Median(cli);
        rows.Add(new($"S3 upload of a fresh scenario ({bytes:F0} MB) by the SDK", $"{sdkSeconds:F2} s ({bytes / sdkSeconds:F0} MB/s)", "", null));
        rows.Add(new("the same by aws s3 sync (Debian awscli)", $"{cliSeconds:F2} s ({bytes / cliSeconds:F0} MB/s)", "", null));
        rows.Add(new("SDK upload throughput / aws s3 sync", $"{cliSeconds / sdkSeconds:F2}x", ">= 1x", cliSeconds / sdkSeconds >= 1));
    }

    /// <summary>
    /// Publishing to the local stack. The target row is the model holding the real-size network (the same files as
    /// the validation benchmarks): what a modeller publishes. The template's model (a few KB of scenarios) is shown
    /// too: its publish is nothing but the fixed costs (a build, the first use of each client in a fresh process).
    /// </summary>
    private static void PublishBenchmarks(List<Row> rows, string model, string networkModel, double megabytes, int runs)
    {
        var real = Publishes(networkModel, runs, Path.Combine("scenarios", "base", "inputs", "params.json"));
        rows.Add(new($"first publish of the model with the {megabytes:F0} MB network (image, Lambda, state machine, scenarios)", $"{real.First:F2} s", "", null));
        rows.Add(new("no-op publish of it (nothing changed)", $"{real.NoOp:F2} s, writes: {(real.NoOpWrites ? "SOME" : "none")}", "", null));
        rows.Add(new("no-op publish / first publish", $"{real.NoOp / real.First:P0}", "<= 25%", !real.NoOpWrites && real.NoOp / real.First <= 0.25));
        rows.Add(new("publish after changing one input (params.json; the build validates the model again)", $"{real.Changed:F2} s, uploaded: {real.ChangedSummary}", "only that file (and its info.json)", real.OnlyThatFile));

        var small = Publishes(model, runs, null);
        rows.Add(new("first publish of the template's model (KB of scenarios: fixed costs only)", $"{small.First:F2} s", "", null));
        rows.Add(new("no-op publish of it", $"{small.NoOp:F2} s, writes: {(small.NoOpWrites ? "SOME" : "none")} ({small.NoOp / small.First:P0} of its first publish)", "", null));
    }

    /// <summary>The local run's rows alone.</summary>
    public static int LocalRunOnly(string repository, string work, int runs) => Only(repository, work, (rows, r, w) => LocalRunBenchmarks(rows, r, w, runs));

    /// <summary>The inner loop's rows alone (a quicker look while working on the publish).</summary>
    public static int InnerLoopOnly(string repository, string work, int runs) => Only(repository, work, (rows, r, w) => InnerLoopBenchmarks(rows, r, w, runs));

    /// <summary>Some of the rows: their table, and exit code 1 when one of their targets is missed.</summary>
    private static int Only(string repository, string work, Action<List<Row>, string, string> benchmarks)
    {
        (repository, work) = (Path.GetFullPath(repository), Path.GetFullPath(work));
        Directory.CreateDirectory(work);
        var rows = new List<Row>();
        benchmarks(rows, repository, work);
        Print(rows);
        return rows.Any(r => r.Met == false) ? 1 : 0;
    }

    /// <summary>
    /// Issue 28: a local run's overhead beyond its steps. The template's model (two Task states, python mode) run by
    /// `dotnet run` (its no-op build included) and by `dotnet run --no-build` (the runner: its start, reading the
    /// model, the interpreter, the scenario's folders, the summary); the steps' own time is what the run reports for
    /// each Task state (python's start, the SDK's handler, the step), subtracted round by round.
    /// </summary>
    private static void LocalRunBenchmarks(List<Row> rows, string repository, string work, int runs)
    {
        var model = Model(repository, work, "bench-local-run");
        var environment = new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1" };
        Run("dotnet", model, environment, "build", "-nodeReuse:false");
        // What `dotnet run` starts once it has evaluated the project: the runner, as the model's RunArguments say.
        var runArguments = Run("dotnet", model, environment, "msbuild", "-t:ComputeRunArguments", "-getProperty:RunArguments", "-nodeReuse:false").Trim();
        var tasks = runArguments.Split('"')[1];
        var modelFile = runArguments.Split('"')[3];
        (double Seconds, double Steps, int States) Once(params string[] arguments)
        {
            var clock = Stopwatch.StartNew();
            var output = arguments is ["runner"] ? Run("dotnet", model, environment, "exec", tasks, "run", "--model", modelFile) : Run("dotnet", model, environment, ["run", .. arguments]);
            var seconds = clock.Elapsed.TotalSeconds;
            var ended = System.Text.RegularExpressions.Regex.Matches(output, @"\] < \S+ \(Task\) ([0-9.]+) s");
            if (ended.Count != 2) throw new InvalidOperationException($"expected the two Task states of the template's workflow to end, found {ended.Count}:\n{output}");
            return (seconds, ended.Sum(m => double.Parse(m.Groups[1].Value, Invariant)), ended.Count);
        }
        Once();
        Once("--no-build");
        Once("runner");
        var whole = new List<double>();
        var noBuild = new List<double>();
        var steps = new List<double>();
        var beyond = new List<double>();
        var runnerBeyond = new List<double>();
        for (var round = 0; round < runs; round++)
        {
            whole.Add(Once().Seconds);
            var bare = Once("--no-build");
            noBuild.Add(bare.Seconds);
            steps.Add(bare.Steps);
            beyond.Add(bare.Seconds - bare.Steps);
            var runner = Once("runner");
            runnerBeyond.Add(runner.Seconds - runner.Steps);
        }
        var overhead = Median(beyond);
        rows.Add(new("local run of the template's two-state workflow (python mode): `dotnet run`, whole command with its no-op build", $"{Median(whole):F2} s", "", null));
        rows.Add(new("the same with `dotnet run --no-build`; of which its two steps (python, the SDK's handler, the step), as the run reports them", $"{Median(noBuild):F2} s; {Median(steps):F2} s", "", null));
        rows.Add(new("`dotnet run --no-build` beyond its steps (MSBuild's evaluation and the model's resolution, the runner's start, the interpreter, the scenario's folders, the summary); of which the runner's", $"{overhead:F2} s; {Median(runnerBeyond):F2} s", "< 1 s", overhead < 1));
    }

    /// <summary>
    /// The inner loop (issue 18): the template's model with a 200,000-link road network and a generated library of a
    /// realistic size. First publish, no-op, a one-step edit, a library change, a params.json change: times, and the
    /// bytes each pushed to the registry (counted in its storage).
    /// </summary>
    private static void InnerLoopBenchmarks(List<Row> rows, string repository, string work, int runs)
    {
        var stack = Environment.GetEnvironmentVariable("QUETZAL_STACK_DIR") ?? Path.Combine(repository, "artifacts", "stack");
        var library = Path.Combine(work, "quetzal-lib");
        var (libraryBytes, libraryFiles) = InnerLoop.Library(library);
        var network = Path.Combine(work, "network-200000");
        if (!File.Exists(Path.Combine(network, "links.geojson"))) NetworkGenerator.Road(network, 200_000, seed: 3);
        var model = Model(repository, work, "bench-inner-loop");
        foreach (var file in new[] { "nodes.geojson", "links.geojson" })
            Link(Path.Combine(network, file), Path.Combine(model, "scenarios", "base", "inputs", "road", file));
        var project = Directory.GetFiles(model, "*.quetzalproj")[0];
        File.WriteAllText(project, File.ReadAllText(project).Replace("</PropertyGroup>", $"<QuetzalLibraryPath>{library}</QuetzalLibraryPath></PropertyGroup>"));

        var env = StackEnvironment();
        var name = $"bench-{Guid.NewGuid():N}"[..18];
        var image = Run("bash", model, "-c", "eval \"$(bash " + Path.Combine(repository, "eng", "stack.sh") + " env)\" && echo $QUETZAL_TEST_BASE_IMAGE").Trim();
        Run("aws", model, new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" }, "ecr", "create-repository", "--repository-name", name, "--endpoint-url", "http://127.0.0.1:4599");
        Run("aws", model, new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" }, "s3", "mb", $"s3://{name}", "--endpoint-url", "http://127.0.0.1:4568");
        string[] publish = ["build", "-t:Publish", "--no-restore", "-nodeReuse:false", $"-p:QuetzalModelName={name}", $"-p:QuetzalBaseImage={image}"];
        Run("dotnet", model, "build", "-nodeReuse:false", $"-p:QuetzalBaseImage={image}");
        var output = "";
        double Publish() => InnerLoop.Time(() => output = Run("dotnet", model, env, publish));

        var first = InnerLoop.Measure(stack, Publish);
        Publish(); // a warm-up
        var step = Path.Combine(model, "steps", "loaded_links.py");
        var modelCode = Directory.EnumerateFiles(Path.Combine(model, "steps")).Sum(f => new FileInfo(f).Length) + new FileInfo(Path.Combine(model, "requirements.txt")).Length;
        // A no-op publish and a step edit, round by round: a change of the host's pace weighs on both alike. Of a step
        // edit, the time Lambda took to apply the update, as the publish's summary says it.
        var noops = new List<double>();
        var stepEdits = new List<(InnerLoop.Pushed Pushed, double Applying, double Versioning)>();
        for (var edit = 1; edit <= runs; edit++)
        {
            noops.Add(Publish());
            // A mark no earlier run wrote: the engine's cache and the registry have never seen this code.
            File.AppendAllText(step, $"\n# tuned {edit} {Guid.NewGuid():N}\n");
            var pushed = InnerLoop.Measure(stack, Publish);
            var applied = System.Text.RegularExpressions.Regex.Match(output, @"Lambda: updated \S+ to \S+[^\n]*, applied by Lambda in (\d+\.\d+) s");
            var versioned = System.Text.RegularExpressions.Regex.Match(output, @"versioning took (\d+\.\d+) s");
            stepEdits.Add((pushed, applied.Success ? double.Parse(applied.Groups[1].Value, Invariant) : double.NaN,
                versioned.Success ? double.Parse(versioned.Groups[1].Value, Invariant) : double.NaN));
        }
        // Rollback: back to the version before the last step edit and forward again, round by round; the time the
        // rollback itself took (its summary says it) and the whole command's (MSBuild's start included).
        var current = int.Parse(System.Text.RegularExpressions.Regex.Match(output, @"Version: v(\d+) is current").Groups[1].Value, Invariant);
        var rollbacks = new List<(double Operation, double Command)>();
        for (var round = 0; round < runs; round++)
        {
            var target = round % 2 == 0 ? current - 1 : current;
            var rollbackOutput = "";
            var command = InnerLoop.Time(() => rollbackOutput = Run("dotnet", model, env, "build", "-t:QuetzalRollback", "--no-restore", "-nodeReuse:false", $"-p:QuetzalModelName={name}", $"-p:QuetzalVersion={target}"));
            var took = System.Text.RegularExpressions.Regex.Match(rollbackOutput, @"Version: v\d+ is current[^\n]*, in (\d+\.\d+) s");
            rollbacks.Add((took.Success ? double.Parse(took.Groups[1].Value, Invariant) : double.NaN, command));
        }
        if (runs % 2 == 1) Run("dotnet", model, env, "build", "-t:QuetzalRollback", "--no-restore", "-nodeReuse:false", $"-p:QuetzalModelName={name}", $"-p:QuetzalVersion={current}");
        var rollback = rollbacks.OrderBy(r => r.Operation).ElementAt(rollbacks.Count / 2);
        var noop = noops.Order().ElementAt(noops.Count / 2);
        var (stepEdit, applying, versioning) = stepEdits.OrderBy(p => p.Pushed.Seconds).ElementAt(stepEdits.Count / 2);
        var stepBytes = stepEdits.Max(p => p.Pushed.Bytes);
        var libraryFile = Path.Combine(library, "quetzal", "sub_00", "module_000.py");
        var libraryText = File.ReadAllText(libraryFile);
        File.AppendAllText(libraryFile, $"\n# a fix in the library {Guid.NewGuid():N}\n");
        var libraryChange = InnerLoop.Measure(stack, Publish);
        File.WriteAllText(libraryFile, libraryText);
        Publish(); // back to the library as it was, so that the next row measures a params.json change alone
        var paramsFile = Path.Combine(model, "scenarios", "base", "inputs", "params.json");
        var paramsText = File.ReadAllText(paramsFile);
        File.WriteAllText(paramsFile, paramsText.TrimEnd() + "\n\n");
        var paramsChange = InnerLoop.Measure(stack, Publish);
        File.WriteAllText(paramsFile, paramsText);

        var context = BuildContext.Create(model, Path.Combine(repository, "src", "Quetzal.Sdk.Msbuild", "handler"), library);
        rows.Add(new($"inner loop: the template's model, a 200,000-link road network, a library of {libraryFiles:N0} files ({Bytes.Format(libraryBytes)}) and its clutter",
            $"context {context.Entries.Count:N0} files, {Bytes.Format(context.FileBytes)}; largest: {string.Join(", ", context.Contributors.Take(3).Select(c => $"{c.Part} {Bytes.Format(c.Bytes)}"))}", "", null));
        rows.Add(new("first publish of it", $"{first.Seconds:F2} s, pushed {Bytes.Format(first.Bytes)} in {first.Blobs} blobs", "", null));
        rows.Add(new("no-op publish of it / first publish", $"{noop:F2} s ({noop / first.Seconds:P0})", "<= 25%", noop / first.Seconds <= 0.25));
        rows.Add(new("publish after editing one step: bytes pushed beyond the model's code ({Bytes.Format(modelCode)})".Replace("{Bytes.Format(modelCode)}", Bytes.Format(modelCode)),
            $"{Bytes.Format(stepBytes)} in {stepEdit.Blobs} blobs ({Bytes.Format(Math.Max(0, stepBytes - modelCode))} beyond)", "<= 64 KB", stepBytes - modelCode <= 64 * 1024));
        rows.Add(new("publish after editing one step: time / no-op publish", $"{stepEdit.Seconds:F2} s ({stepEdit.Seconds / noop:F2}x)", "<= 2x", stepEdit.Seconds / noop <= 2));
        rows.Add(new("of which Lambda applying the update (the stand-in holds an update 0.6 s; Lambda takes seconds), and the rest beyond a no-op",
            $"{applying:F2} s; {stepEdit.Seconds - noop - applying:F2} s", "", null));
        rows.Add(new("of a step edit's publish, the versioning (history read, version tag, Lambda version, retention)",
            $"{versioning:F2} s ({versioning / stepEdit.Seconds:P0})", "<= 10%", versioning / stepEdit.Seconds <= 0.10));
        rows.Add(new("rollback to the previous version (QuetzalRollback; no build, no push): the rollback itself, and the whole command",
            $"{rollback.Operation:F2} s; {rollback.Command:F2} s", "< 2 s", rollback.Operation < 2));
        rows.Add(new("publish after changing one library file: bytes pushed (the library's layer, compressed, and nothing below it)",
            $"{libraryChange.Seconds:F2} s, pushed {Bytes.Format(libraryChange.Bytes)} in {libraryChange.Blobs} blobs", $"<= library + model code ({Bytes.Format(libraryBytes + modelCode)})",
            libraryChange.Bytes <= libraryBytes + modelCode + 64 * 1024));
        rows.Add(new("publish after changing params.json", $"{paramsChange.Seconds:F2} s, pushed {Bytes.Format(paramsChange.Bytes)}", "nothing pushed", paramsChange.Bytes == 0));
        FirstDeployAgainstOriginal(rows, repository, work, model, library, image, env, runs);
    }

    /// <summary>
    /// A first deploy of the inner loop's model: the SDK's <c>dotnet build -t:Publish</c> on a fresh copy of the model
    /// (validation included, nothing created beforehand but the repository and the bucket), against the original
    /// flow's four scripts (bench/original-flow) after what its Terraform created (a repository, a bucket, a function on
    /// a placeholder image, a Pass state machine). Each run deploys under new names; the runs alternate, so both
    /// meet the same engine cache (warm: the base image and the dependencies' layers are there for both) and the
    /// same machine load. Both push every layer to a new repository and upload the 200,000-link scenario.
    /// </summary>
    private static void FirstDeployAgainstOriginal(List<Row> rows, string repository, string work, string model, string library, string image, Dictionary<string, string> env, int runs)
    {
        var scripts = Path.Combine(repository, "bench", "original-flow");
        var aws = new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" };
        // The folder above the model, as the original flow builds it: the model, the quetzal checkout beside it.
        var parent = Path.Combine(work, "original-flow");
        if (Directory.Exists(parent)) Directory.Delete(parent, recursive: true);
        Directory.CreateDirectory(parent);
        var folder = Path.Combine(parent, "model");
        Run("cp", work, "-al", model, folder);
        foreach (var state in new[] { "obj", "bin" }) if (Directory.Exists(Path.Combine(folder, state))) Directory.Delete(Path.Combine(folder, state), recursive: true);
        Run("cp", work, "-al", library, Path.Combine(parent, "quetzal"));
        Directory.CreateDirectory(Path.Combine(parent, "quetzal", "docker"));
        File.Copy(Path.Combine(repository, "src", "Quetzal.Sdk.Msbuild", "handler", "quetzal_handler.py"), Path.Combine(parent, "quetzal", "docker", "main.py"), overwrite: true);
        File.Delete(Path.Combine(folder, "Dockerfile"));
        File.WriteAllText(Path.Combine(folder, "Dockerfile"), string.Join("\n",
            $"FROM {image}",
            "ARG QUETZAL_MODEL_NAME",
            "ENV QUETZAL_MODEL_NAME=${QUETZAL_MODEL_NAME}",
            "COPY ./${QUETZAL_MODEL_NAME}/requirements.txt .",
            "RUN pip install --no-cache-dir -r requirements.txt --target \"${LAMBDA_TASK_ROOT}\"",
            "ENV PATH=\"${PATH}:${LAMBDA_TASK_ROOT}/bin\"",
            "ENV PYTHONPATH=\"${PYTHONPATH}:${LAMBDA_TASK_ROOT}\"",
            "COPY ./quetzal ${LAMBDA_TASK_ROOT}/quetzal",
            "COPY ./quetzal/docker/main.py ${LAMBDA_TASK_ROOT}",
            "COPY ./${QUETZAL_MODEL_NAME} ${LAMBDA_TASK_ROOT}",
            "CMD [\"main.handler\"]") + "\n");
        // The original ignore file, with the lines a careful user adds (the model's data, the library's clutter).
        File.WriteAllText(Path.Combine(parent, ".dockerignore"), string.Join("\n",
            "**__pycache__**", "**/*.pyc", "**.cache**", "**/*.ipynb_checkpoints*", "**/*.DS_store*", "quetzal/.git",
            "quetzal/wheels", "quetzal/infra", "quetzal/tests", "model/inputs", "model/scenarios", "model/obj", "model/bin") + "\n");

        string Create(string name)
        {
            var uri = System.Text.Json.JsonDocument.Parse(Run("aws", work, aws, "ecr", "create-repository", "--repository-name", name, "--endpoint-url", "http://127.0.0.1:4599"))
                .RootElement.GetProperty("repository").GetProperty("repositoryUri").GetString()!;
            Run("aws", work, aws, "s3", "mb", $"s3://{name}", "--endpoint-url", "http://127.0.0.1:4568");
            return uri;
        }

        var sdk = new List<double>();
        var original = new List<double>();
        for (var run = 0; run <= Math.Max(3, runs / 2 + 1); run++)
        {
            // The SDK: a fresh copy of the model, published under a new name.
            var name = $"first-{Guid.NewGuid():N}"[..18];
            Create(name);
            var copy = Path.Combine(work, "first-deploy");
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
            Run("cp", work, "-al", model, copy);
            // What the SDK keeps between builds goes (the restore's output stays: `dotnet restore` has no part in the original flow).
            foreach (var state in new[] { "obj/quetzal", "obj/Debug", "bin" }) if (Directory.Exists(Path.Combine(copy, state))) Directory.Delete(Path.Combine(copy, state), recursive: true);
            var seconds = InnerLoop.Time(() => Run("dotnet", copy, env, "build", "-t:Publish", "--no-restore", "-nodeReuse:false", $"-p:QuetzalModelName={name}", $"-p:QuetzalBaseImage={image}"));
            if (run > 0) sdk.Add(seconds); // the first of each is a warm-up

            // The original flow, after what its Terraform created.
            name = $"first-{Guid.NewGuid():N}"[..18];
            var uri = Create(name);
            Run("docker", work, "tag", image, $"{uri}:placeholder");
            Run("bash", work, aws, "-c", $"aws ecr get-login-password --endpoint-url http://127.0.0.1:4599 | docker login --username AWS --password-stdin {uri.Split('/')[0]} > /dev/null 2>&1 && docker push -q {uri}:placeholder");
            var function = System.Text.Json.JsonDocument.Parse(Run("aws", work, aws, "lambda", "create-function", "--function-name", name, "--package-type", "Image",
                "--code", $"ImageUri={uri}:placeholder", "--role", $"arn:aws:iam::123456789012:role/lambda-{name}-role", "--endpoint-url", "http://127.0.0.1:4599"))
                .RootElement.GetProperty("FunctionArn").GetString()!;
            Run("aws", work, aws, "stepfunctions", "create-state-machine", "--name", name, "--definition", "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}",
                "--role-arn", $"arn:aws:iam::123456789012:role/sfn-{name}-role", "--endpoint-url", "http://127.0.0.1:4599");
            var tag = $"v{run}";
            seconds = InnerLoop.Time(() =>
            {
                Run("bash", scripts, aws, Path.Combine(scripts, "push-image.sh"), parent, "model", uri, tag);
                Run("bash", scripts, aws, Path.Combine(scripts, "update-lambda.sh"), name, $"{uri}:{tag}");
                Run("python3", scripts, aws, Path.Combine(scripts, "update-function-config.py"), folder, name, function);
                Run("python3", scripts, aws, Path.Combine(scripts, "update-s3-model-files.py"), folder, name, "base");
            });
            if (run > 0) original.Add(seconds);
        }
        var (sdkMedian, originalMedian) = (Median(sdk), Median(original));
        rows.Add(new("first deploy of it, from a fresh model folder: the SDK (validation included) / the original flow's four scripts (bench/original-flow)",
            $"{sdkMedian:F2} s / {originalMedian:F2} s (SDK {originalMedian / sdkMedian:F2}x as fast)", ">= 1x", sdkMedian <= originalMedian));
    }

    private sealed record PublishFigures(double First, double NoOp, bool NoOpWrites, double Changed, string ChangedSummary, bool OnlyThatFile);

    private static PublishFigures Publishes(string model, int runs, string? changedInput)
    {
        var env = StackEnvironment();
        var name = $"bench-{Guid.NewGuid():N}"[..18];
        var image = Run("bash", model, "-c", "eval \"$(bash " + Path.Combine(RepositoryRoot(model), "eng", "stack.sh") + " env)\" && echo $QUETZAL_TEST_BASE_IMAGE").Trim();
        Run("aws", model, new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" }, "ecr", "create-repository", "--repository-name", name, "--endpoint-url", "http://127.0.0.1:4599");
        Run("aws", model, new Dictionary<string, string>(env) { ["AWS_DEFAULT_REGION"] = "ca-central-1" }, "s3", "mb", $"s3://{name}", "--endpoint-url", "http://127.0.0.1:4568");
        string[] publish = ["build", "-t:Publish", "--no-restore", "-nodeReuse:false", $"-p:QuetzalModelName={name}", $"-p:QuetzalBaseImage={image}"];
        // Built (validated) first: the first publish times publishing, not the validation of an unchanged model.
        Run("dotnet", model, "build", "--no-restore", "-nodeReuse:false");
        var clock = Stopwatch.StartNew();
        Run("dotnet", model, env, publish);
        var first = clock.Elapsed.TotalSeconds;
        var writes = false;
        var noop = Median(runs, () =>
        {
            clock.Restart();
            var output = Run("dotnet", model, env, publish);
            var seconds = clock.Elapsed.TotalSeconds;
            writes |= Summary(output).Any(Writes);
            return new Sample(seconds, 0);
        });
        if (changedInput is null) return new PublishFigures(first, noop.Seconds, writes, 0, "", false);

        var input = Path.Combine(model, changedInput);
        var text = File.ReadAllText(input);
        File.WriteAllText(input, text.TrimEnd() + "\n\n");
        clock.Restart();
        var changed = Summary(Run("dotnet", model, env, publish)).ToList();
        var changedSeconds = clock.Elapsed.TotalSeconds;
        File.WriteAllText(input, text);
        var s3 = changed.Where(l => l.StartsWith("S3 ", StringComparison.Ordinal)).ToList();
        // That file, and its scenario's info.json (who changed the scenario, and when): nothing else.
        var written = s3.Where(Writes).ToList();
        var only = written.Count == 2 && written.Any(l => l.Contains(": 0 new, 1 changed, 0 to delete", StringComparison.Ordinal))
            && written.Any(l => l.EndsWith("/info.json: written", StringComparison.Ordinal))
            && !changed.Where(l => !l.StartsWith("S3 ", StringComparison.Ordinal)).Any(Writes);
        return new PublishFigures(first, noop.Seconds, writes, changedSeconds, string.Join("; ", written.Select(l => l[3..])), only);
    }

    /// <summary>Whether a summary line reports a write: a step not unchanged, or scenario files sent or deleted.</summary>
    private static bool Writes(string line) => line.StartsWith("S3 ", StringComparison.Ordinal)
        ? !line.Contains(": 0 new, 0 changed, 0 to delete", StringComparison.Ordinal)
        : !line.Contains("unchanged", StringComparison.Ordinal);

    /// <summary>The lines of a publish's closing summary ("Image: unchanged (...)", "S3 base: 0 new, 1 changed, ...").</summary>
    private static IEnumerable<string> Summary(string output) =>
        output.Split('\n').SkipWhile(l => !l.Contains("Quetzal publish summary:", StringComparison.Ordinal)).Skip(1)
            .Select(l => l.Trim()).TakeWhile(l => l.Length > 0);

    private static string RepositoryRoot(string model) => File.ReadAllText(Directory.GetFiles(model, "*.quetzalproj")[0]).Split("<Import Project=\"")[1].Split("/src/Quetzal.Sdk.Msbuild")[0];

    /// <summary>The template's model, importing the SDK from source with the tasks built for this harness.</summary>
    /// <summary>A hard link where the file system allows one (the network is hundreds of MB), else a copy.</summary>
    private static void Link(string source, string destination)
    {
        File.Delete(destination);
        try
        {
            Run("ln", Path.GetDirectoryName(destination)!, source, destination);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            File.Copy(source, destination);
        }
    }

    private static string Model(string repository, string work, string name = "bench-model")
    {
        var model = Path.Combine(work, name);
        if (Directory.Exists(model)) Directory.Delete(model, recursive: true);
        var template = Path.Combine(repository, "src", "Quetzal.Templates", "content", "quetzal-model");
        foreach (var file in Directory.EnumerateFiles(template, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(template, file);
            if (relative.StartsWith(".template.config", StringComparison.Ordinal) || relative.EndsWith(".quetzalproj", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(model, relative))!);
            File.Copy(file, Path.Combine(model, relative));
        }
        var sdk = Path.Combine(repository, "src", "Quetzal.Sdk.Msbuild", "Sdk");
        var tasks = Path.Combine(AppContext.BaseDirectory, "Quetzal.Sdk.Msbuild.dll");
        File.WriteAllText(Path.Combine(model, name + ".quetzalproj"),
            $"<Project>\n  <Import Project=\"{sdk}/Sdk.props\" />\n  <PropertyGroup><QuetzalTasksAssembly>{tasks}</QuetzalTasksAssembly></PropertyGroup>\n  <Import Project=\"{sdk}/Sdk.targets\" />\n</Project>\n");
        File.WriteAllText(Path.Combine(work, "nuget.config"), "<configuration><packageSources><clear /></packageSources></configuration>\n");
        return model;
    }

    private static Dictionary<string, string> StackEnvironment() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = "S3RVER", ["AWS_REGION"] = "ca-central-1",
        ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:4568", ["AWS_ENDPOINT_URL_ECR"] = "http://127.0.0.1:4599",
        ["AWS_ENDPOINT_URL_LAMBDA"] = "http://127.0.0.1:4599", ["AWS_ENDPOINT_URL_SFN"] = "http://127.0.0.1:4599",
    };

    private static async Task<bool> StackAnswersAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await http.GetAsync("http://127.0.0.1:4599/_local/health");
            await http.GetAsync("http://127.0.0.1:4568/");
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private sealed record Sample(double Seconds, double PeakMb);

    /// <summary>One warm-up, then the median of <paramref name="runs"/> (and the largest peak memory seen).</summary>
    private static Sample Median(int runs, Func<Sample> measure)
    {
        measure();
        var samples = Enumerable.Range(0, runs).Select(_ => measure()).ToList();
        return new Sample(Median(samples.Select(s => s.Seconds).ToList()), samples.Max(s => s.PeakMb));
    }

    /// <summary>Each measure once to warm up, then <paramref name="runs"/> rounds of all three in turn: their medians.</summary>
    private static (Sample, Sample, Sample) Interleaved(int runs, Func<Sample> first, Func<Sample> second, Func<Sample> third)
    {
        Func<Sample>[] measures = [first, second, third];
        var samples = measures.Select(_ => new List<Sample>()).ToArray();
        foreach (var measure in measures) measure();
        for (var round = 0; round < runs; round++)
            for (var i = 0; i < measures.Length; i++)
                samples[i].Add(measures[i]());
        var medians = samples.Select(list => new Sample(Median(list.Select(s => s.Seconds).ToList()), list.Max(s => s.PeakMb))).ToArray();
        return (medians[0], medians[1], medians[2]);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static Sample Child(string program, params string[] arguments)
    {
        var output = Run(program, Directory.GetCurrentDirectory(), arguments).Trim().Split('\n')[^1].Split(' ');
        return new Sample(double.Parse(output[0], Invariant), double.Parse(output[1], Invariant));
    }

    private static Sample Timed(string program, string directory, params string[] arguments) => Timed(program, directory, null, arguments);

    private static Sample Timed(string program, string directory, IDictionary<string, string>? environment, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        Run(program, directory, environment, arguments);
        return new Sample(clock.Elapsed.TotalSeconds, 0);
    }

    private static string Run(string program, string directory, params string[] arguments) => Run(program, directory, null, arguments);

    private static string Run(string program, string directory, IDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        return stdout;
    }

    private static void Print(List<Row> rows)
    {
        Console.WriteLine();
        Console.WriteLine("| benchmark | measured | target | met |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var row in rows)
            Console.WriteLine($"| {row.Benchmark} | {row.Measured} | {row.Target} | {(row.Met is null ? "" : row.Met.Value ? "yes" : "**no**")} |");
        Console.WriteLine();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }
}
