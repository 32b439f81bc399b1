using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Quetzal.Bench;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Validation;

// Quetzal.Bench generate <folder> <links>          writes a synthetic road network
// Quetzal.Bench measure bare|validate <folder>      one timed pass in this process: prints "<seconds> <peak MB>"
// Quetzal.Bench run <repo> <work> [links] [runs]    every benchmark, a table, exit code 1 when a target is missed
// Quetzal.Bench inner-loop <repo> <work> [runs]      the inner loop's rows only (the local stack must be up)
// Quetzal.Bench local-run <repo> <work> [runs]       the local run's rows only (no stack needed)
var culture = CultureInfo.InvariantCulture;
switch (args.FirstOrDefault())
{
    case "generate":
        NetworkGenerator.Road(args[1], int.Parse(args[2], culture));
        return 0;
    case "measure":
        return Measure(args[1], args[2]);
    case "inner-loop":
        return Benchmarks.InnerLoopOnly(args[1], args[2], args.Length > 3 ? int.Parse(args[3], culture) : 5);
    case "local-run":
        return Benchmarks.LocalRunOnly(args[1], args[2], args.Length > 3 ? int.Parse(args[3], culture) : 5);
    case "run":
        return await Benchmarks.RunAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3], culture) : 1_000_000, args.Length > 4 ? int.Parse(args[4], culture) : 5);
    default:
        Console.Error.WriteLine("usage: Quetzal.Bench generate <folder> <links> | measure bare|validate <folder> | run <repo> <work> [links] [runs] | inner-loop <repo> <work> [runs] | local-run <repo> <work> [runs]");
        return 2;
}

static int Measure(string what, string folder)
{
    var nodes = Path.Combine(folder, "nodes.geojson");
    var links = Path.Combine(folder, "links.geojson");
    var clock = Stopwatch.StartNew();
    if (what == "bare")
    {
        long tokens = 0;
        foreach (var file in new[] { nodes, links }) tokens += Bare.Tokens(file);
        if (tokens == 0) return 1;
    }
    else
    {
        // What the build does for a network (for one this size, in a worker process: its peak memory is counted below).
        var bag = new DiagnosticBag();
        NetworkCheck.Validate(nodes, links, false, bag);
        if (bag.HasErrors) { Console.Error.WriteLine(string.Join("\n", bag.Items.Take(5))); return 1; }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:F3} {PeakMegabytes():F0}"));
    return 0;
}

static double PeakMegabytes()
{
    // The operating system's high-water mark of this process, or of a worker process it ran, whichever is higher.
    if (File.Exists("/proc/self/status"))
    {
        var self = 0.0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                self = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        var children = Native.getrusage(Native.RusageChildren, out var usage) == 0 ? usage.MaxRssKb / 1024.0 : 0;
        return Math.Max(self, children);
    }
    return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
}

internal static partial class Native
{
    public const int RusageChildren = -1;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds, MaxRssKb;
        public long Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    public static extern int getrusage(int who, out RUsage usage);
}
