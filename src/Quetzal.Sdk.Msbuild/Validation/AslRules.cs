using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// What Step Functions refuses at CreateStateMachine/UpdateStateMachine (the States Language's rules on fields, paths,
/// values and names), checked at the build so that a green build is a definition AWS takes (QTZ2016, at the line and
/// column); JSONata, which the local run cannot interpret, refused with its own code (QTZ2017); and what Quenedi's Run
/// page cannot read in a model it reads the state machine of (QTZ2018, a warning).
/// </summary>
internal sealed class AslRules(string path, DiagnosticBag bag)
{
    private static readonly string[] Common = ["Type", "Comment", "QueryLanguage"];
    private static readonly string[] Io = ["InputPath", "OutputPath"];
    private static readonly string[] Transition = ["Next", "End"];
    private static readonly string[] Result = ["ResultPath", "ResultSelector", "Retry", "Catch", "Assign"];

    private static readonly Dictionary<string, HashSet<string>> Fields = new(StringComparer.Ordinal)
    {
        ["Pass"] = [.. Common, .. Io, .. Transition, "ResultPath", "Parameters", "Result", "Assign"],
        ["Task"] = [.. Common, .. Io, .. Transition, .. Result, "Resource", "Parameters", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"],
        ["Choice"] = [.. Common, .. Io, "Choices", "Default", "Assign"],
        ["Wait"] = [.. Common, .. Io, .. Transition, "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"],
        ["Succeed"] = [.. Common, .. Io],
        ["Fail"] = [.. Common, "Error", "Cause", "ErrorPath", "CausePath"],
        ["Parallel"] = [.. Common, .. Io, .. Transition, .. Result, "Branches", "Parameters"],
        ["Map"] = [.. Common, .. Io, .. Transition, .. Result, "ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters", "MaxConcurrency", "MaxConcurrencyPath",
            "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label"],
    };

    private readonly Dictionary<string, JsonTree> _names = new(StringComparer.Ordinal);

    /// <summary>Whether a state runs on Fargate (Quenedi then reads steps.json, not the state machine).</summary>
    public bool HasFargate { get; private set; }

    /// <summary>What Quenedi's Run page cannot read: (node, what), reported only for a model whose state machine it reads.</summary>
    public List<(JsonTree At, string What)> QuenediUnreadable { get; } = [];

    private void Refused(JsonTree at, string message) => bag.Add(Codes.StateMachineRefusedByAws, path, at.Line, at.Column, message);

    public void Check(JsonTree root)
    {
        if (root.Kind != JsonKind.Object) return;
        var jsonata = false;
        if (root["QueryLanguage"] is { } language)
        {
            if (language.String is not ("JSONPath" or "JSONata")) Refused(language, $"\"QueryLanguage\" is \"JSONPath\" or \"JSONata\", not {language.Describe()}.");
            else if (language.String == "JSONata")
            {
                bag.Add(Codes.JsonataUnsupported, path, language.Line, language.Column, "The state machine");
                jsonata = true;
            }
        }
        Machine(root, "the state machine", jsonata);
        // What Quenedi cannot read matters once the definition is sound, and only where Quenedi reads the state machine.
        if (HasFargate || bag.Items.Any(d => d.Severity == Severity.Error && d.File == path)) return;
        Cycles(root);
        foreach (var (at, what) in QuenediUnreadable) bag.Add(Codes.QuenediCannotRead, path, at.Line, at.Column, what);
    }

    /// <summary>The fields of a Parallel branch, and of a Map's ItemProcessor or Iterator (the top level has its own list, checked by the validator).</summary>
    private static readonly string[] BranchFields = ["StartAt", "States", "Comment"];
    private static readonly string[] ProcessorFields = [.. BranchFields, "ProcessorConfig"];

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private void Machine(JsonTree machine, string label, bool jsonata, string[]? fields = null)
    {
        if (machine.Kind != JsonKind.Object) return;
        if (fields is not null)
            foreach (var (key, value) in machine.Members)
                if (!fields.Contains(key))
                    Refused(value, key == "QueryLanguage"
                        ? $"{Capitalized(label)} cannot set \"QueryLanguage\": its states take the state machine's, or their own."
                        : $"{Capitalized(label)} has a field \"{key}\" it does not have (it has {string.Join(", ", fields.Select(f => $"\"{f}\""))}).");
        if (machine["States"] is not { Kind: JsonKind.Object } states) return;
        foreach (var (name, state) in states.Members)
        {
            if (_names.TryGetValue(name, out var first))
                Refused(state, $"The state name '{name}' is used twice (also at line {first.Line}): names are unique in the whole state machine, branches and Map processors included.");
            else _names[name] = state;
            if (name.Length > 80) Refused(state, $"The state name '{name[..20]}...' is longer than 80 characters.");
            State(name, state, jsonata);
        }
    }

    private void State(string name, JsonTree state, bool machineJsonata)
    {
        if (state.Kind != JsonKind.Object || state["Type"] is not { IsString: true } typeNode || !Fields.TryGetValue(typeNode.String!, out var allowed)) return;
        var type = typeNode.String!;
        var jsonata = machineJsonata;
        if (state["QueryLanguage"] is { } language)
        {
            if (language.String is not ("JSONPath" or "JSONata")) Refused(language, $"State '{name}': \"QueryLanguage\" is \"JSONPath\" or \"JSONata\", not {language.Describe()}.");
            else if (language.String == "JSONata" && !machineJsonata)
            {
                bag.Add(Codes.JsonataUnsupported, path, language.Line, language.Column, $"State '{name}'");
                jsonata = true;
            }
            else if (language.String == "JSONPath" && machineJsonata)
                Refused(language, $"State '{name}': a JSONPath state cannot be in a JSONata state machine.");
        }
        if (jsonata) return; // refused above, with its own code: its fields are JSONata's

        foreach (var (key, value) in state.Members)
            if (!allowed.Contains(key))
                Refused(value, $"State '{name}' ({type}) has a field \"{key}\" that a {type} state does not have{Hint(type, key)}.");

        if (state["InputPath"] is { } input) PathField(name, "InputPath", input, reference: false, nullable: true);
        if (state["OutputPath"] is { } output) PathField(name, "OutputPath", output, reference: false, nullable: true);
        if (state["ResultPath"] is { } result && allowed.Contains("ResultPath")) PathField(name, "ResultPath", result, reference: true, nullable: true, intoInput: true);
        foreach (var field in new[] { "Parameters", "ResultSelector", "ItemSelector", "Assign" })
            if (state[field] is { } template && allowed.Contains(field)) Template(name, field, template);
        foreach (var field in new[] { "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ItemsPath", "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath" })
            if (state[field] is { } reference && allowed.Contains(field)) PathField(name, field, reference, reference: true);

        NonNegativeInteger(name, state, "Seconds");
        NonNegativeInteger(name, state, "MaxConcurrency");
        NonNegativeInteger(name, state, "ToleratedFailureCount");
        PositiveInteger(name, state, "TimeoutSeconds");
        PositiveInteger(name, state, "HeartbeatSeconds");
        if (state["ToleratedFailurePercentage"] is { } percentage && (percentage.Kind != JsonKind.Number || percentage.Number is < 0 or > 100))
            Refused(percentage, $"State '{name}': \"ToleratedFailurePercentage\" is a number from 0 to 100, not {percentage.Describe()}.");
        if (state["Timestamp"] is { } timestamp && !(timestamp.IsString && ChoiceRules.IsTimestamp(timestamp.String!)))
            Refused(timestamp, $"State '{name}': \"Timestamp\" is an RFC 3339 timestamp (2026-12-07T14:00:00Z), not {timestamp.Describe()}.");

        switch (type)
        {
            case "Task":
                if (state["Resource"] is { IsString: true } resource)
                {
                    var text = resource.String!;
                    if (!text.StartsWith("arn:", StringComparison.Ordinal) && !text.Contains("${", StringComparison.Ordinal))
                        Refused(resource, $"State '{name}': \"Resource\" is an ARN (arn:aws:states:::lambda:invoke, a function's ARN, or ${{LambdaFunctionArn}}), not '{text}'.");
                    if (text == Fargate.RunTaskSync) HasFargate = true;
                }
                foreach (var (field, pathField) in new[] { ("TimeoutSeconds", "TimeoutSecondsPath"), ("HeartbeatSeconds", "HeartbeatSecondsPath") })
                    if (state[field] is not null && state[pathField] is { } both) Refused(both, $"State '{name}': \"{field}\" and \"{pathField}\" cannot both be given.");
                if (state["HeartbeatSeconds"] is { Kind: JsonKind.Number } heartbeat && state["TimeoutSeconds"] is { Kind: JsonKind.Number } timeout && heartbeat.Number >= timeout.Number)
                    Refused(heartbeat, $"State '{name}': \"HeartbeatSeconds\" ({heartbeat.Number}) must be smaller than \"TimeoutSeconds\" ({timeout.Number}).");
                break;
            case "Fail":
                foreach (var (field, pathField) in new[] { ("Error", "ErrorPath"), ("Cause", "CausePath") })
                {
                    if (state[field] is not null && state[pathField] is not null) Refused(state[pathField]!, $"State '{name}': \"{field}\" and \"{pathField}\" cannot both be given.");
                    if (state[field] is { IsString: false } literal) Refused(literal, $"State '{name}': \"{field}\" is a string, not {literal.Describe()}.");
                    if (state[pathField] is { } expression)
                    {
                        if (!expression.IsString) Refused(expression, $"State '{name}': \"{pathField}\" is a path or an intrinsic function, not {expression.Describe()}.");
                        else if (PayloadTemplate.Problem(expression.String!) is { } problem) Refused(expression, $"State '{name}': \"{pathField}\": {problem}.");
                    }
                }
                break;
            case "Choice":
                if (state["Choices"] is { Kind: JsonKind.Array } choices)
                    for (var i = 0; i < choices.Items.Count; i++) Rule(name, $"rule {i + 1}", choices.Items[i], top: true);
                break;
            case "Parallel":
                if (state["Branches"] is { Kind: JsonKind.Array } branches)
                    foreach (var branch in branches.Items) Machine(branch, $"a branch of '{name}'", false, BranchFields);
                break;
            case "Map":
                if (state["Iterator"] is { } iterator) Machine(iterator, $"the Iterator of '{name}'", false, ProcessorFields);
                if (state["ItemProcessor"] is { } processor)
                {
                    Machine(processor, $"the ItemProcessor of '{name}'", false, ProcessorFields);
                    QuenediUnreadable.Add((processor, $"Map state '{name}' names its states \"ItemProcessor\"; Quenedi's Run page reads only \"Iterator\" (the older name, which Step Functions still takes) and shows no steps for this model"));
                }
                if (state["Iterator"] is not null && state["ItemProcessor"] is not null) Refused(state, $"Map state '{name}' has both \"Iterator\" and \"ItemProcessor\"; keep one.");
                break;
        }
        Retriers(name, state["Retry"], "Retry");
        Retriers(name, state["Catch"], "Catch");
    }

    private static string Hint(string type, string key) => key switch
    {
        "ResultSelector" when type == "Pass" => " (a Pass has no task result to select from: use Parameters)",
        "ResultPath" when type is "Succeed" or "Fail" or "Choice" or "Wait" => $" (a {type} state has no result)",
        "Arguments" or "Output" or "Condition" or "Items" => " (a JSONata field; this state is JSONPath)",
        _ => Suggestions.Nearest(key, Fields[type]) is { } nearest ? $" (did you mean \"{nearest}\"?)" : "",
    };

    /// <param name="nullable">null is allowed (InputPath, OutputPath, a state's or a catcher's ResultPath: "nothing" or "keep the input").</param>
    /// <param name="intoInput">the path writes into the state's input (a ResultPath): not the context object or a variable.</param>
    private void PathField(string name, string field, JsonTree value, bool reference, bool nullable = false, bool intoInput = false)
    {
        if (value.Kind == JsonKind.Null && nullable) return;
        if (!value.IsString || !JsonPath.IsPath(value.String!))
        {
            Refused(value, $"State '{name}': \"{field}\" is a {(reference ? "reference path" : "path")} starting with '$', not {value.Describe()}.");
            return;
        }
        string? problem;
        try
        {
            var parsed = JsonPath.Parse(value.String!);
            problem = reference ? JsonPath.NotAReferencePath(value.String!) : null;
            if (problem is null && intoInput && parsed.Root != JsonPath.Root.Input) problem = "it must point into the state's input ($...)";
        }
        catch (StateError e)
        {
            problem = e.Cause;
        }
        if (problem is not null) Refused(value, $"State '{name}': \"{field}\" '{value.String}': {problem}.");
    }

    /// <summary>Parameters, ResultSelector, ItemSelector, Assign: every field ending in ".$" holds a path or an intrinsic function.</summary>
    private void Template(string name, string field, JsonTree node)
    {
        foreach (var (key, value) in node.Members)
        {
            if (key.EndsWith(".$", StringComparison.Ordinal))
            {
                if (!value.IsString) Refused(value, $"State '{name}': {field} \"{key}\" holds a path or an intrinsic function (a string), not {value.Describe()}.");
                else if (PayloadTemplate.Problem(value.String!) is { } problem) Refused(value, $"State '{name}': {field} \"{key}\": {problem}.");
            }
            else Template(name, field, value);
        }
        foreach (var item in node.Items) Template(name, field, item);
    }

    private void NonNegativeInteger(string name, JsonTree state, string field) => WholeNumber(state[field], 0, $"State '{name}': \"{field}\"");

    private void PositiveInteger(string name, JsonTree state, string field) => WholeNumber(state[field], 1, $"State '{name}': \"{field}\"");

    /// <summary>A field (when given) that is a whole number of at least <paramref name="minimum"/>; <paramref name="subject"/> names it in the message.</summary>
    private void WholeNumber(JsonTree? value, int minimum, string subject)
    {
        if (value is not null && (value.Kind != JsonKind.Number || value.Number < minimum || value.Number != Math.Floor(value.Number)))
            Refused(value, $"{subject} is a whole number, {minimum} or more, not {value.Describe()}{(value.Kind == JsonKind.Number ? $" ({value.RawNumber})" : "")}.");
    }

    private void Rule(string name, string label, JsonTree rule, bool top)
    {
        if (rule.Kind != JsonKind.Object) return;
        if (!top && rule["Next"] is { } inner) Refused(inner, $"Choice state '{name}': {label} is inside And, Or or Not and cannot have \"Next\".");
        if (top && rule["Condition"] is { } condition)
            Refused(condition, $"Choice state '{name}': {label} has \"Condition\", a JSONata field; a JSONPath rule compares a \"Variable\".");
        var boolean = new[] { "And", "Or", "Not" }.Where(k => rule[k] is not null).ToList();
        if (top && (boolean.Count > 0 || rule["StringEquals"] is null))
            QuenediUnreadable.Add((rule, $"Choice state '{name}': {label} is not a StringEquals comparison; Quenedi's Run page reads only StringEquals rules (it reads the choices a user picks from them) and fails on this model"));
        if (boolean.Count > 0)
        {
            if (boolean.Count > 1 || rule["Variable"] is not null) Refused(rule, $"Choice state '{name}': {label} has {string.Join(" and ", boolean)}{(rule["Variable"] is not null ? " and a Variable" : "")}; a rule is one comparison, or one of And, Or, Not.");
            var operand = rule[boolean[0]]!;
            if (boolean[0] == "Not") Rule(name, $"{label}'s Not", operand, top: false);
            else if (operand.Kind != JsonKind.Array || operand.Items.Count == 0) Refused(operand, $"Choice state '{name}': {label}'s {boolean[0]} is a non-empty list of rules.");
            else for (var i = 0; i < operand.Items.Count; i++) Rule(name, $"{label}'s {boolean[0]} rule {i + 1}", operand.Items[i], top: false);
            return;
        }
        var variable = rule["Variable"];
        if (variable is null) Refused(rule, $"Choice state '{name}': {label} has no \"Variable\" to compare.");
        else PathField(name, $"{label}'s Variable", variable, reference: true);
        var comparisons = rule.Members.Where(m => m.Key is not ("Variable" or "Next" or "Comment" or "Assign")).ToList();
        if (comparisons.Count == 0)
        {
            Refused(rule, $"Choice state '{name}': {label} has no comparison (StringEquals, NumericGreaterThan, IsPresent, ...).");
            return;
        }
        if (rule["Assign"] is { } assign) Template(name, "Assign", assign);
        foreach (var (key, operand) in comparisons)
        {
            if (comparisons.Count > 1)
            {
                Refused(operand, $"Choice state '{name}': {label} has {comparisons.Count} comparisons ({string.Join(", ", comparisons.Select(c => c.Key))}); a rule has one (combine rules with And).");
                break;
            }
            var isPath = key.EndsWith("Path", StringComparison.Ordinal) && !ChoiceRules.TypeTests.Contains(key);
            var op = isPath ? key[..^4] : key;
            if (isPath && (ChoiceRules.StringOperators.Contains(op) || ChoiceRules.NumericOperators.Contains(op) || ChoiceRules.TimestampOperators.Contains(op) || op == "BooleanEquals") && op != "StringMatches")
            {
                PathField(name, $"{label}'s {key}", operand, reference: true);
                continue;
            }
            var (ok, expected) = op switch
            {
                _ when ChoiceRules.StringOperators.Contains(op) && !isPath => (operand.IsString, "a string"),
                _ when ChoiceRules.NumericOperators.Contains(op) && !isPath => (operand.Kind == JsonKind.Number, "a number"),
                _ when ChoiceRules.TimestampOperators.Contains(op) && !isPath => (operand.IsString && ChoiceRules.IsTimestamp(operand.String!), "an RFC 3339 timestamp (2026-12-07T14:00:00Z)"),
                "BooleanEquals" when !isPath => (operand.IsBoolean, "true or false"),
                _ when ChoiceRules.TypeTests.Contains(key) => (operand.IsBoolean, "true or false"),
                _ => (false, ""),
            };
            if (expected.Length == 0)
                Refused(operand, $"Choice state '{name}': {label}: \"{key}\" is not a comparison of the States Language{(Suggestions.Nearest(key, ChoiceRules.Operators) is { } near ? $" (did you mean \"{near}\"?)" : "")}.");
            else if (!ok) Refused(operand, $"Choice state '{name}': {label}: \"{key}\" compares with {expected}, not {operand.Describe()}{(operand.IsString ? $" '{operand.String}'" : "")}.");
        }
    }

    /// <summary>Retry and Catch: States.ALL alone in its ErrorEquals, and in the last retrier or catcher only; numbers in range.</summary>
    private void Retriers(string name, JsonTree? list, string field)
    {
        if (list is not { Kind: JsonKind.Array }) return;
        for (var i = 0; i < list.Items.Count; i++)
        {
            var entry = list.Items[i];
            if (entry["ErrorEquals"] is not { Kind: JsonKind.Array } errors) continue;
            if (errors.Items.Count == 0) Refused(errors, $"State '{name}': {field} {i + 1}'s ErrorEquals is empty.");
            foreach (var error in errors.Items)
            {
                if (error.String != "States.ALL") continue;
                if (errors.Items.Count > 1) Refused(error, $"State '{name}': {field} {i + 1}: \"States.ALL\" must be alone in its ErrorEquals.");
                else if (i != list.Items.Count - 1) Refused(error, $"State '{name}': {field} {i + 1}: \"States.ALL\" must be in the last {(field == "Retry" ? "retrier" : "catcher")} (the ones after it could never match).");
            }
            var allowed = field == "Retry"
                ? new HashSet<string> { "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment" }
                : new HashSet<string> { "ErrorEquals", "Next", "ResultPath", "Assign", "Comment" };
            foreach (var (key, value) in entry.Members)
                if (!allowed.Contains(key)) Refused(value, $"State '{name}': {field} {i + 1} has a field \"{key}\" that a {(field == "Retry" ? "retrier" : "catcher")} does not have.");
            if (field == "Retry")
            {
                WholeNumber(entry["IntervalSeconds"], 1, $"State '{name}': Retry {i + 1}'s IntervalSeconds");
                WholeNumber(entry["MaxAttempts"], 0, $"State '{name}': Retry {i + 1}'s MaxAttempts");
                if (entry["BackoffRate"] is { } backoff && (backoff.Kind != JsonKind.Number || backoff.Number < 1))
                    Refused(backoff, $"State '{name}': Retry {i + 1}'s BackoffRate is a number of 1.0 or more, not {backoff.Describe()}.");
            }
            else
            {
                if (entry["ResultPath"] is { } result) PathField(name, $"Catch {i + 1}'s ResultPath", result, reference: true, nullable: true, intoInput: true);
                if (entry["Assign"] is { } assign) Template(name, "Assign", assign);
            }
        }
    }

    /// <summary>A transition back to a state already on the way (a retry loop): Quenedi's Run page follows Next and never returns.</summary>
    private void Cycles(JsonTree machine)
    {
        if (machine["States"] is not { Kind: JsonKind.Object } states || machine["StartAt"] is not { IsString: true } start) return;
        var edges = new Dictionary<string, List<(string Target, JsonTree At)>>(StringComparer.Ordinal);
        foreach (var (name, state) in states.Members)
        {
            var list = new List<(string, JsonTree)>();
            void Add(JsonTree? at) { if (at is { IsString: true }) list.Add((at.String!, at)); }
            Add(state["Next"]);
            Add(state["Default"]);
            foreach (var rule in state["Choices"]?.Items ?? []) Add(rule["Next"]);
            edges[name] = list;
            foreach (var branch in state["Branches"]?.Items ?? []) Cycles(branch);
            if (state["Iterator"] is { } iterator) Cycles(iterator);
        }
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var reported = false;
        void Visit(string name)
        {
            if (reported || done.Contains(name) || !edges.ContainsKey(name)) return;
            onPath.Add(name);
            foreach (var (target, at) in edges[name])
            {
                if (onPath.Contains(target))
                {
                    QuenediUnreadable.Add((at, $"State '{name}' leads back to '{target}', a loop; Quenedi's Run page follows the transitions to list the steps and never returns on this model (it hangs the page)"));
                    reported = true;
                    return;
                }
                Visit(target);
            }
            onPath.Remove(name);
            done.Add(name);
        }
        Visit(start.String!);
    }
}
