using System.Text.Json.Nodes;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Corpus;

/// <summary>
/// The corpus against two implementations written independently of this project (npm, installed by eng/stack.sh):
/// aws-local-stepfunctions runs every Corpus/run machine, asl-validator judges every Corpus/check definition
/// (Corpus/cross-check.cjs). They have their own bugs and gaps, so the specification decides: where one disagrees
/// with the corpus's expectation, the case says why in its "crossCheck" field (what the package does, what the
/// specification or AWS says). A disagreement nobody wrote down fails, and so does a written-down one that no longer
/// holds, so the list stays the true list.
/// </summary>
public sealed class AslCrossCheckTests
{
    public const string Interpreter = "aws-local-stepfunctions";
    public const string Validator = "asl-validator";

    /// <summary>What the two packages said, by "run/name" and "check/name"; one node process for the whole corpus.</summary>
    private static readonly Lazy<Dictionary<string, JsonObject>> Answers = new(() =>
    {
        var result = Processes.Run("node", [Path.Combine(CorpusFiles.Root, "cross-check.cjs"), CorpusFiles.Root, Path.Combine(Repository.Root, "eng", "stack")]);
        Assert.True(result.Succeeded, result.ToString());
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())
            .ToDictionary(answer => $"{(string)answer["kind"]!}/{(string)answer["name"]!}");
    });

    public static TheoryData<string> RunCases() => AslRunCorpusTests.Cases();

    public static TheoryData<string> CheckCases() => AslCheckCorpusTests.Cases();

    [NpmTheory(Interpreter)]
    [MemberData(nameof(RunCases))]
    public void The_other_interpreter_agrees_with_the_corpus_or_the_case_says_why(string name)
    {
        var corpus = CorpusFiles.Case("run", name);
        var expect = corpus["expect"]!.AsObject();
        var outcome = Answers.Value[$"run/{name}"]["outcome"]!.AsObject();
        string? disagreement;
        if (expect["error"] is { } error)
        {
            disagreement = (string?)outcome["error"] != (string?)error ? $"it fails with {(string?)outcome["error"] ?? "nothing"} (expected {error})"
                : expect["cause"] is { } cause && (string?)outcome["cause"] != (string?)cause ? $"its cause is {outcome["cause"]?.ToJsonString()} (expected {cause.ToJsonString()})"
                : (string?)expect["causeContains"] is { } part && ((string?)outcome["cause"])?.Contains(part, StringComparison.Ordinal) != true ? $"its cause {outcome["cause"]?.ToJsonString()} lacks \"{part}\""
                : null;
        }
        else
        {
            disagreement = !outcome.ContainsKey("output") ? $"it fails with {(string?)outcome["error"]}: {(string?)outcome["cause"]}{(string?)outcome["refused"]}"
                : expect.ContainsKey("output") && !JsonNode.DeepEquals(expect["output"], outcome["output"]) ? $"it outputs {outcome["output"]?.ToJsonString()} (expected {expect["output"]?.ToJsonString()})"
                : null;
        }
        Judge(corpus, Interpreter, disagreement, outcome.ToJsonString());
    }

    [NpmTheory(Validator)]
    [MemberData(nameof(CheckCases))]
    public void The_other_validator_agrees_with_the_corpus_or_the_case_says_why(string name)
    {
        var corpus = CorpusFiles.Case("check", name);
        var expect = corpus["expect"]!.AsObject();
        var answer = Answers.Value[$"check/{name}"];
        // AWS takes a sound definition and one that only Quenedi's Run page cannot read (a QTZ2018 warning), and refuses
        // the others, except where the case says so: this project refuses JSONata states AWS takes (QTZ2017).
        var awsTakes = (bool?)expect["awsTakes"] ?? ((bool?)expect["clean"] == true || (string?)expect["code"] == "QTZ2018");
        var valid = (bool)answer["valid"]!;
        var disagreement = valid == awsTakes ? null : valid ? "it takes a definition AWS refuses" : $"it refuses a definition AWS takes: {answer["errors"]?.ToJsonString()}";
        Judge(corpus, Validator, disagreement, answer.ToJsonString());
    }

    private static void Judge(JsonObject corpus, string package, string? disagreement, string answer)
    {
        var rule = (string?)corpus["rule"];
        var why = (string?)corpus["crossCheck"];
        if (disagreement is not null)
            Assert.True(why is not null, $"{rule}: {package} disagrees with the corpus: {disagreement}.\nDecide by the specification, then fix the interpreter or the check, or write in the case's \"crossCheck\" why the package is wrong.\n{package} said: {answer}");
        else
            Assert.True(why is null, $"{rule}: {package} now agrees with the corpus; the case's \"crossCheck\" ({why}) no longer holds: remove it.\n{package} said: {answer}");
    }
}
