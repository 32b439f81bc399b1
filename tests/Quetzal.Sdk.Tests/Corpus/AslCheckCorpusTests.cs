using System.Text.Json;
using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Corpus;

/// <summary>
/// The build's check of a state machine against the repository's corpus (Corpus/check/*.json): per rule of what
/// Step Functions refuses (and of what Quenedi's Run page cannot read), a definition and the code it gets (QTZ2016 for
/// the States Language's rules, the structural codes QTZ2003 to QTZ2006 for a machine's shape), at the line of the
/// field at fault; and sound definitions that must pass clean.
/// </summary>
public sealed class AslCheckCorpusTests : IDisposable
{
    private readonly TempDirectory _dir = new("asl-check");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Cases() => CorpusFiles.Cases("check");

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_build_refuses_what_step_functions_refuses_at_the_line_and_takes_what_it_takes(string name)
    {
        var corpus = CorpusFiles.Case("check", name);
        var expect = corpus["expect"]!.AsObject();
        var text = corpus["machine"]!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var file = _dir.Write("step-functions.json", text);
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(file, _dir.Path, bag);
        var ours = bag.Items.Where(d => d.Code is "QTZ2016" or "QTZ2017" or "QTZ2018").ToList();
        var errors = bag.Items.Where(d => d.Severity == Severity.Error).ToList();
        var listed = string.Join("\n", bag.Items.Select(d => d.ToString()));
        var rule = (string?)corpus["rule"];

        if ((bool?)expect["clean"] == true)
        {
            Assert.True(ours.Count == 0 && errors.Count == 0, $"{rule}: a sound definition got\n{listed}");
            return;
        }
        var code = (string)expect["code"]!;
        var found = bag.Items.Where(d => d.Code == code).ToList();
        Assert.True(found.Count > 0, $"{rule}: expected {code}; got\n{(listed.Length == 0 ? "(nothing)" : listed)}");
        if (code == "QTZ2018") Assert.True(errors.Count == 0, $"{rule}: a definition AWS takes got errors\n{listed}");
        else Assert.All(errors, d => Assert.True(d.Code == code || d.Code is "QTZ2016" or "QTZ2017", $"{rule}: another error than the rule's:\n{listed}"));
        var diagnostic = found[0];
        Assert.True(diagnostic.Line > 0 && diagnostic.Column > 0, $"{rule}: {diagnostic} has no line and column");
        if ((string?)expect["at"] is { } at)
        {
            var line = text.Split('\n').Select((l, i) => (l, i)).First(x => x.l.Contains(at, StringComparison.Ordinal)).i + 1;
            Assert.True(diagnostic.Line == line, $"{rule}: {diagnostic} is not at line {line}, where {at} is:\n{text}");
        }
        if ((string?)expect["messageContains"] is { } part) Assert.Contains(part, diagnostic.Message);
    }
}
