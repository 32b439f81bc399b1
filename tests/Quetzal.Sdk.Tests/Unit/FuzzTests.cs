using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>Mutated valid files (fixed seed, so a failure replays): whatever the bytes, a validator answers with diagnostics, never an exception.</summary>
public sealed class FuzzTests : IDisposable
{
    private readonly TempDirectory _dir = new("fuzz");

    public void Dispose() => _dir.Dispose();

    private const string JsonBytes = "{}[],:\"0-.e\\";

    private static byte[] Mutate(Random random, byte[] original, byte[] donor)
    {
        var bytes = new List<byte>(original);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;                                   // flip a byte
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;                              // truncate
                case 2: bytes.InsertRange(at, donor.Skip(random.Next(donor.Length)).Take(random.Next(1, 200))); break; // splice
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 40))); break; // delete a run
                default: bytes.Insert(at, (byte)JsonBytes[random.Next(JsonBytes.Length)]); break;     // a JSON-ish byte
            }
        }
        return bytes.ToArray();
    }

    [Fact]
    public void Ten_thousand_mutations_never_make_a_validator_throw()
    {
        var template = Repository.TemplateContent;
        var inputs = Path.Combine(template, "scenarios", "base", "inputs");
        var samples = new (string Kind, byte[] Bytes)[]
        {
            ("road-nodes", File.ReadAllBytes(Path.Combine(inputs, "road", "nodes.geojson"))),
            ("road-links", File.ReadAllBytes(Path.Combine(inputs, "road", "links.geojson"))),
            ("pt-links", File.ReadAllBytes(Path.Combine(inputs, "pt", "links.geojson"))),
            ("params", File.ReadAllBytes(Path.Combine(inputs, "params.json"))),
            ("states", File.ReadAllBytes(Path.Combine(template, "step-functions.json"))),
        };
        var donor = samples.SelectMany(s => s.Bytes).ToArray();
        var random = new Random(20261127);
        var path = _dir.Combine("mutant.json");
        var nodes = new NodeIndex();
        for (var i = 0; i < 10_000; i++)
        {
            var (kind, bytes) = samples[i % samples.Length];
            var mutant = Mutate(random, bytes, donor);
            File.WriteAllBytes(path, mutant);
            // Small buffers now and then, so that mutations also land across buffer refills.
            var buffer = i % 7 == 0 ? 16 : NetworkValidator.DefaultBufferSize;
            var bag = new DiagnosticBag();
            try
            {
                switch (kind)
                {
                    case "road-nodes": NetworkValidator.ValidateNodes(path, false, bag, bufferSize: buffer); break;
                    case "road-links": NetworkValidator.ValidateLinks(path, false, nodes, "nodes.geojson", bag, bufferSize: buffer); break;
                    case "pt-links": NetworkValidator.ValidateLinks(path, true, null, "nodes.geojson", bag, bufferSize: buffer); break;
                    case "params": ParamsValidator.Validate(path, bag); break;
                    default: StateMachineValidator.Validate(path, _dir.Path, bag); break;
                }
            }
            catch (Exception e)
            {
                File.WriteAllBytes(_dir.Combine($"failing-{i}.json"), mutant);
                Assert.Fail($"mutation {i} of {kind} threw {e.GetType().Name}: {e.Message}\n{Convert.ToBase64String(mutant)}");
            }
        }
    }

    [Fact]
    public void Mutated_networks_read_in_parts_get_the_answer_of_one_pass()
    {
        // Large files are read in parallel parts cut at guessed feature boundaries; mutations put syntax errors,
        // broken features and false boundaries anywhere, and the answer must still be the sequential one.
        var inputs = Path.Combine(Repository.TemplateContent, "scenarios", "base", "inputs");
        var samples = new[]
        {
            (Layer: NetworkLayer.Nodes, IsPt: false, Bytes: File.ReadAllBytes(Path.Combine(inputs, "road", "nodes.geojson"))),
            (Layer: NetworkLayer.Links, IsPt: false, Bytes: File.ReadAllBytes(Path.Combine(inputs, "road", "links.geojson"))),
            (Layer: NetworkLayer.Links, IsPt: true, Bytes: File.ReadAllBytes(Path.Combine(inputs, "pt", "links.geojson"))),
        };
        var donor = samples.SelectMany(s => s.Bytes).ToArray();
        var random = new Random(20261128);
        var path = _dir.Combine("mutant.geojson");
        var nodes = NetworkValidator.ValidateNodes(Path.Combine(inputs, "road", "nodes.geojson"), false, new DiagnosticBag());
        for (var i = 0; i < 2_000; i++)
        {
            var (layer, isPt, bytes) = samples[i % samples.Length];
            var mutant = Mutate(random, bytes, donor);
            File.WriteAllBytes(path, mutant);
            var rules = new NetworkValidator.FileRules(path, layer, isPt, layer == NetworkLayer.Links ? nodes : null, "nodes.geojson");
            var one = new DiagnosticBag();
            var oneIndex = NetworkValidator.Validate(rules, one, 1, default);
            var parts = 2 + i % 4;
            var many = new DiagnosticBag();
            var manyIndex = NetworkValidator.Validate(rules, many, parts, default);
            var expected = one.Items.Select(d => d.ToString()).ToList();
            var actual = many.Items.Select(d => d.ToString()).ToList();
            if (!expected.SequenceEqual(actual) || (oneIndex is null) != (manyIndex is null))
            {
                File.WriteAllBytes(_dir.Combine($"failing-parts-{i}.geojson"), mutant);
                Assert.Fail($"mutation {i} read in {parts} parts:\n{string.Join("\n", actual)}\n--- one pass:\n{string.Join("\n", expected)}\n{Convert.ToBase64String(mutant)}");
            }
        }
    }
}
