using System.Diagnostics;
using System.Text;

namespace Quetzal.Bench;

/// <summary>
/// The inner loop of a modeller: the template's model with a 200,000-link road network and a quetzal library of a
/// realistic size (QuetzalLibraryPath), published to the local stack; then a no-op publish, a publish after editing one
/// step, after changing the library, after changing params.json. Bytes pushed are counted in the registry's storage:
/// the blobs a publish adds (layers, image config, manifest).
/// </summary>
public static class InnerLoop
{
    /// <summary>A library checkout as modellers have one: the package (thousands of modules, a few large data files) and the clutter around it.</summary>
    public static (long PackageBytes, int PackageFiles) Library(string folder)
    {
        var marker = Path.Combine(folder, ".generated");
        if (!File.Exists(marker))
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            var random = new Random(11);
            void Text(string relative, int bytes)
            {
                var path = Path.Combine(folder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var text = new StringBuilder();
                while (text.Length < bytes) text.Append($"def f_{random.Next():x}(x, y={random.Next(1000)}):\n    return x * {random.NextDouble():F6} + y\n\n");
                File.WriteAllText(path, text.ToString());
            }
            void Binary(string relative, int bytes)
            {
                var path = Path.Combine(folder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var data = new byte[bytes];
                random.NextBytes(data);
                File.WriteAllBytes(path, data);
            }
            // The package: 3,000 modules in 30 subpackages (about 24 MB of code), and three data files (15 MB).
            for (var p = 0; p < 30; p++)
            {
                Text($"quetzal/sub_{p:D2}/__init__.py", 200);
                for (var m = 0; m < 100; m++) Text($"quetzal/sub_{p:D2}/module_{m:D3}.py", 8_000);
            }
            Text("quetzal/__init__.py", 500);
            for (var d = 0; d < 3; d++) Binary($"quetzal/data/table_{d}.bin", 5 * 1048576);
            Text("setup.py", 1_000);
            // The clutter the original ignore file kept out: wheels for Windows, version control, tests, infra.
            for (var w = 0; w < 4; w++) Binary($"wheels/win_amd64/package_{w}.whl", 3 * 1048576);
            Binary(".git/objects/pack/pack-0.pack", 6 * 1048576);
            for (var t = 0; t < 200; t++) Text($"tests/test_{t:D3}.py", 2_000);
            Text("infra/main.tf", 3_000);
            File.WriteAllText(marker, "");
        }
        var package = Directory.EnumerateFiles(Path.Combine(folder, "quetzal"), "*", SearchOption.AllDirectories).Select(f => new FileInfo(f).Length).ToList();
        return (package.Sum() + new FileInfo(Path.Combine(folder, "setup.py")).Length, package.Count + 1);
    }

    /// <summary>The registry's blobs by digest, with their sizes: what has been pushed, ever.</summary>
    public static Dictionary<string, long> Blobs(string stackDirectory)
    {
        var root = Path.Combine(stackDirectory, "registry-data", "docker", "registry", "v2", "blobs");
        return Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "data", SearchOption.AllDirectories).ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f)!), f => new FileInfo(f).Length)
            : new Dictionary<string, long>();
    }

    /// <summary>What a publish pushed, and how long it took.</summary>
    public sealed record Pushed(double Seconds, long Bytes, int Blobs);

    public static Pushed Measure(string stackDirectory, Func<double> publish)
    {
        var before = Blobs(stackDirectory);
        var seconds = publish();
        var added = Blobs(stackDirectory).Where(b => !before.ContainsKey(b.Key)).ToList();
        return new Pushed(seconds, added.Sum(b => b.Value), added.Count);
    }

    public static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
