using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class StateMachineValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("asl");

    public StateMachineValidatorTests() => _dir.Write("steps/run.py", "print('hi')");

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<Diagnostic> Validate(string json)
    {
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(_dir.Write("step-functions.json", json), _dir.Path, bag);
        return bag.Items;
    }

    private static string Task(string next = "\"End\": true", string notebook = "steps/run.py", string extra = "")
        => "{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"Parameters\":{\"FunctionName\":\"${LambdaFunctionArn}\",\"Payload\":{\"notebook_path\":\""
           + notebook + "\",\"scenario_path_S3.$\":\"$.scenario_path_S3\"}}," + LambdaRetry + next + extra + "}";

    /// <summary>What every Lambda Task needs (QTZ2014 otherwise; see the tests of that warning).</summary>
    private const string LambdaRetry = "\"Retry\":[{\"ErrorEquals\":[\"Lambda.CodeArtifactUserPendingException\"],\"IntervalSeconds\":30,\"MaxAttempts\":5,\"BackoffRate\":2}],";

    private static string Machine(string startAt, params (string Name, string State)[] states)
        => "{\"StartAt\":\"" + startAt + "\",\"States\":{" + string.Join(",", states.Select(s => "\"" + s.Name + "\":" + s.State)) + "}}";

    private static Diagnostic Only(IReadOnlyList<Diagnostic> diagnostics, string code)
    {
        Assert.Single(diagnostics);
        Assert.Equal(code, diagnostics[0].Code);
        return diagnostics[0];
    }

    [Fact]
    public void The_template_state_machine_passes()
    {
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(Path.Combine(Repository.TemplateContent, "step-functions.json"), Repository.TemplateContent, bag);
        Assert.Empty(bag.Items);
    }

    [Fact]
    public void A_linear_chain_passes() => Assert.Empty(Validate(Machine("a", ("a", Task("\"Next\":\"b\"")), ("b", Task()))));

    [Fact]
    public void Invalid_json_gives_line_and_column()
    {
        var error = Only(Validate("{\n  \"StartAt\": \"a\",\n  // a comment\n}"), "QTZ2002");
        Assert.Equal(3, error.Line);
        Assert.Equal(3, error.Column);
    }

    [Fact]
    public void Missing_start_at_is_a_structure_error() => Assert.Contains("StartAt", Only(Validate("""{"States":{"a":{"Type":"Succeed"}}}"""), "QTZ2003").Message);

    [Fact]
    public void Missing_states_is_a_structure_error() => Assert.Contains("States", Only(Validate("""{"StartAt":"a"}"""), "QTZ2003").Message);

    [Fact]
    public void Start_at_an_unknown_state_is_reported()
        => Assert.Contains("starts at 'nope'", Only(Validate(Machine("nope", ("a", Task()))), "QTZ2004").Message);

    [Fact]
    public void Next_to_an_unknown_state_names_both()
    {
        var error = Only(Validate(Machine("a", ("a", Task("\"Next\":\"ghost\"")))), "QTZ2004");
        Assert.Contains("State 'a': Next 'ghost' is not a state", error.Message);
    }

    [Fact]
    public void Choice_rules_and_default_must_land_on_states()
    {
        var choice = """{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"ghost1"}],"Default":"ghost2"}""";
        var diagnostics = Validate(Machine("c", ("c", choice), ("done", """{"Type":"Succeed"}""")));
        Assert.Equal(2, diagnostics.Count(d => d.Code == "QTZ2004"));
        Assert.Contains(diagnostics, d => d.Message.Contains("Default 'ghost2'"));
    }

    [Fact]
    public void Catch_must_land_on_a_state()
    {
        var diagnostics = Validate(Machine("a", ("a", Task(extra: ",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"ghost\"}]"))));
        Assert.Contains("Catch's Next 'ghost'", Only(diagnostics, "QTZ2004").Message);
    }

    [Fact]
    public void A_machine_with_no_terminal_state_is_reported()
        => Only(Validate(Machine("a", ("a", Task("\"Next\":\"b\"")), ("b", Task("\"Next\":\"a\"")))), "QTZ2005");

    [Fact]
    public void An_unreachable_state_is_refused_as_step_functions_refuses_it()
    {
        var error = Only(Validate(Machine("a", ("a", Task()), ("orphan", Task()))), "QTZ2006");
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Contains("'orphan'", error.Message);
    }

    [Fact]
    public void Next_and_end_together_are_reported() => Only(Validate(Machine("a", ("a", Task("\"Next\":\"a\",\"End\":true")))), "QTZ2003");

    [Fact]
    public void Neither_next_nor_end_is_reported() => Assert.Contains("needs \"Next\" or \"End\"", Only(Validate(Machine("a", ("a", Task("\"Comment\":\"x\"")))), "QTZ2003").Message);

    [Fact]
    public void An_unknown_type_is_reported() => Only(Validate(Machine("a", ("a", """{"Type":"Magic","End":true}"""))), "QTZ2003");

    [Fact]
    public void Parallel_branches_are_checked_recursively()
    {
        var parallel = "{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[" + Machine("x", ("x", Task())) + "," + Machine("y", ("y", Task("\"Next\":\"ghost\""))) + "]}";
        var error = Only(Validate(Machine("p", ("p", parallel))), "QTZ2004");
        Assert.Contains("'ghost'", error.Message);
    }

    [Fact]
    public void A_parallel_branch_without_end_is_named()
    {
        var parallel = "{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[" + Machine("x", ("x", Task("\"Next\":\"x\""))) + "]}";
        Assert.Contains("Branch 1 of Parallel state 'p'", Only(Validate(Machine("p", ("p", parallel))), "QTZ2005").Message);
    }

    [Fact]
    public void Map_processors_are_checked_recursively()
    {
        var map = "{\"Type\":\"Map\",\"End\":true,\"ItemsPath\":\"$.items\",\"ItemProcessor\":" + Machine("m", ("m", Task(notebook: "steps/missing.py"))) + "}";
        Assert.Contains("State 'm' runs 'steps/missing.py'", Only(Validate(Machine("map", ("map", map))), "QTZ2008").Message);
    }

    [Fact]
    public void A_missing_notebook_names_the_state_and_the_path()
    {
        var error = Only(Validate(Machine("a", ("a", Task(notebook: "steps/nope.py")))), "QTZ2008");
        Assert.Contains("State 'a' runs 'steps/nope.py'", error.Message);
        Assert.True(error.Line > 0);
    }

    [Fact]
    public void A_notebook_outside_the_model_is_reported() => Only(Validate(Machine("a", ("a", Task(notebook: "../outside.py")))), "QTZ2008");

    [Fact]
    public void A_notebook_step_without_nbconvert_in_requirements_warns_once_where_the_first_notebook_is_named()
    {
        _dir.Write("notebooks/assign.ipynb", "{}");
        _dir.Write("notebooks/report.ipynb", "{}");
        _dir.Write("requirements.txt", "# the model's packages\nquetzal==1.2\nnbconvert-utils\n");
        var warning = Only(Validate(Machine("a", ("a", Task("\"Next\":\"b\"", notebook: "notebooks/assign.ipynb")), ("b", Task(notebook: "notebooks/report.ipynb")))), "QTZ2011");
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Contains("State 'a' runs the notebook 'notebooks/assign.ipynb'", warning.Message);
        Assert.Contains("requirements.txt", warning.Message);
        Assert.EndsWith("step-functions.json", warning.File);
        Assert.True(warning.Line > 0 && warning.Column > 0);
    }

    [Theory]
    [InlineData("nbconvert\n")]
    [InlineData("NBConvert[webpdf] >= 7.0  # converts the notebooks\n")]
    [InlineData("pandas\njupyter==1.1\n")]
    [InlineData("-r requirements-base.txt\n")]
    public void A_notebook_step_with_nbconvert_in_requirements_passes(string requirements)
    {
        _dir.Write("notebooks/assign.ipynb", "{}");
        _dir.Write("requirements.txt", requirements);
        Assert.Empty(Validate(Machine("a", ("a", Task(notebook: "notebooks/assign.ipynb")))));
    }

    [Fact]
    public void A_magic_in_a_steps_notebook_is_a_warning_at_its_line_naming_the_cell()
    {
        _dir.Write("requirements.txt", "nbconvert\n");
        _dir.Write("steps/report.ipynb", """
            {
             "cells": [
              {"cell_type": "markdown", "source": ["%not code\n"]},
              {"cell_type": "code", "source": ["import pandas as pd\n"]},
              {"cell_type": "code", "source": [
                "%matplotlib inline\n",
                "import matplotlib.pyplot as plt\n"
              ]},
              {"cell_type": "code", "source": "import os\n!pip install geopandas"}
             ],
             "nbformat": 4
            }
            """);
        var warnings = Validate(Machine("a", ("a", Task(notebook: "steps/report.ipynb")))).Where(d => d.Code == "QTZ2015").ToList();
        Assert.Equal(2, warnings.Count);
        var magic = warnings[0];
        Assert.Equal(Severity.Warning, magic.Severity);
        Assert.EndsWith("report.ipynb", magic.File);
        Assert.Equal(6, magic.Line);
        Assert.Contains("Notebook 'steps/report.ipynb' (state 'a'), cell 3: '%matplotlib inline' is an IPython magic", magic.Message);
        Assert.Contains("Remove the line", magic.Message);
        Assert.Contains("cell 4: '!pip install geopandas' is a shell escape", warnings[1].Message);
        Assert.Contains("requirements.txt", warnings[1].Message);
    }

    [Fact]
    public void Script_steps_need_no_nbconvert() => Assert.Empty(Validate(Machine("a", ("a", Task()))));

    [Fact]
    public void Unknown_placeholders_are_reported_with_the_known_list()
    {
        var error = Only(Validate(Machine("a", ("a", Task(extra: ",\"Comment\":\"${LambdaArn}\"")))), "QTZ2007");
        Assert.Contains("'${LambdaArn}'", error.Message);
        Assert.Contains("LambdaFunctionArn", error.Message);
    }

    [Fact]
    public void Every_documented_placeholder_is_accepted()
    {
        var comment = string.Concat(Placeholders.Names.Select(n => "${" + n + "}"));
        Assert.Empty(Validate(Machine("a", ("a", Task(extra: $",\"Comment\":\"{comment}\"")))));
    }

    [Fact]
    public void A_wait_state_needs_one_duration()
        => Only(Validate(Machine("w", ("w", """{"Type":"Wait","Next":"a"}"""), ("a", Task()))), "QTZ2003");

    [Fact]
    public void The_workflow_generated_from_steps_is_valid()
    {
        _dir.Write("steps/second.py", "");
        var json = LinearWorkflow.Generate([new Step("steps/run.py", "run"), new Step("steps/second.py", "second")]);
        Assert.Empty(Validate(json));
        Assert.Contains("\"Next\": \"second\"", json);
        Assert.Contains("\"notebook_path\": \"steps/second.py\"", json);
        Assert.Contains("Lambda.TooManyRequestsException", json);
    }

    [Fact]
    public void A_quoted_placeholder_of_the_original_templates_names_the_sdk_one()
    {
        var d = Only(Validate(Machine("a", ("a", Task().Replace("${LambdaFunctionArn}", "<LAMBDA-FUNCTION-ARN>")))), "QTZ2012");
        Assert.Equal("<LAMBDA-FUNCTION-ARN> is a placeholder of the original templates, left as it was; the SDK fills in ${LambdaFunctionArn} at publish: write \"${LambdaFunctionArn}\" here (with the quotes).", d.Message);
        Assert.True(d.Line > 0 && d.Column > 0);
        Assert.Contains("${ModelName}", Only(Validate(Machine("a", ("a", Task(extra: ",\"Comment\":\"<model_name> step\"")))), "QTZ2012").Message);
    }

    [Fact]
    public void A_bare_placeholder_of_the_original_templates_is_named_at_its_line_and_column_not_as_a_reader_error()
    {
        var json = "{\n  \"StartAt\": \"a\",\n  \"States\": {\"a\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke\",\n    \"Parameters\": {\"FunctionName\": <LAMBDA-FUNCTION-ARN>}, \"End\": true}}\n}";
        var d = Only(Validate(json), "QTZ2012");
        Assert.Equal(4, d.Line);
        Assert.Equal(36, d.Column);
        Assert.StartsWith("<LAMBDA-FUNCTION-ARN> is a placeholder of the original templates", d.Message);
        Assert.DoesNotContain("invalid start of a value", d.Message);
    }

    [Fact]
    public void A_notebook_path_typo_gets_the_nearest_file_and_a_backslash_path_gets_slashes()
    {
        var typo = Only(Validate(Machine("a", ("a", Task(notebook: "steps/rnu.py")))), "QTZ2008");
        Assert.EndsWith(" Did you mean 'steps/run.py'?", typo.Message);
        var windows = Only(Validate(Machine("a", ("a", Task(notebook: "steps\\\\run.py")))), "QTZ2008");
        Assert.EndsWith(" Paths in the state machine use '/', as in the image (Linux): write 'steps/run.py'.", windows.Message);
        var far = Only(Validate(Machine("a", ("a", Task(notebook: "notebooks/calibration.ipynb")))), "QTZ2008");
        Assert.EndsWith("').", far.Message);
    }

    [Fact]
    public void A_trailing_comma_is_said_in_a_users_terms_with_its_line_and_column()
    {
        var d = Only(Validate("{\n  \"StartAt\": \"a\",\n  \"States\": {},\n}"), "QTZ2002");
        Assert.Equal("The state machine is not valid JSON: a trailing comma before '}': JSON allows no comma after the last member of an object", d.Message);
        Assert.Equal(4, d.Line);
        Assert.DoesNotContain("reader options", d.Message);
    }
}
