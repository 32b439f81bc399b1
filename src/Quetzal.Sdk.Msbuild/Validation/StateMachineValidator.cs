using Quetzal.Sdk.Core;
using System.Text.RegularExpressions;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// The Amazon States Language structure of a model's state machine, checked before anything is deployed:
/// every transition lands on a state, every machine (and Parallel branch, and Map processor) can end,
/// placeholders are ones the SDK substitutes, and every notebook a Task runs is a file of the model.
/// </summary>
public static partial class StateMachineValidator
{
    private static readonly HashSet<string> StateTypes = ["Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];

    public static JsonTree? Validate(string path, string modelDirectory, DiagnosticBag bag)
    {
        var syntax = new DiagnosticBag();
        if (JsonTree.Load(path, Codes.StateMachineInvalidJson, syntax) is not { } root)
        {
            // The original template's bare <LAMBDA-FUNCTION-ARN> is no JSON value: say what it is, not what the reader saw.
            bag.AddRange(syntax.Items.Select(d => d.Line > 0 && OriginalPlaceholderAt(path, d.Line, d.Column) is { } found
                ? Codes.OriginalPlaceholder.Create(path, d.Line, found.Column, found.Written, found.Placeholder) : d));
            return null;
        }
        var walker = new Walker(path, modelDirectory, bag);
        walker.Machine(root, "The state machine");
        if (walker.FirstNotebook is var (state, notebook) && !Requirements.ProvideNbconvert(modelDirectory))
            bag.Add(Codes.NotebookNeedsNbconvert, path, notebook.Line, notebook.Column, state, notebook.String!);
        foreach (var (notebookState, relative) in walker.NotebookSteps.Distinct())
            NotebookMagics(Path.GetFullPath(Path.Combine(modelDirectory, relative)), relative, notebookState, bag);
        CheckPlaceholders(root, path, bag);
        new AslRules(path, bag).Check(root);
        return root;
    }

    /// <summary>
    /// The IPython magics (<c>%matplotlib inline</c>, <c>%%time</c>) and shell escapes (<c>!pip install</c>) in a step's
    /// notebook: nbconvert turns them into calls of Jupyter's kernel, which a script run does not have. Each is a
    /// warning at its line of the .ipynb, naming the cell; the notebook's own JSON errors are not this check's.
    /// </summary>
    private static void NotebookMagics(string file, string relative, string state, DiagnosticBag bag)
    {
        JsonTree notebook;
        try
        {
            notebook = JsonTree.Parse(ModelFiles.ReadAllBytes(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonSyntaxException or JsonEncodingException)
        {
            return;
        }
        var cells = notebook["cells"]?.Items ?? [];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i]["cell_type"] is not { IsString: true, String: "code" } || cells[i]["source"] is not { } source) continue;
            // nbformat's source is a list of lines, or one string of them all (located at the string).
            var lines = (source.IsString ? [source] : source.Items.Where(l => l.IsString))
                .SelectMany(l => l.String!.Split('\n').Select(text => (Node: l, Text: text.Trim())));
            foreach (var (line, text) in lines)
            {
                if (text.Length < 2 || text[0] is not ('%' or '!')) continue;
                var (what, fix) = text switch
                {
                    ['%', '%', ..] => ("a cell magic", "Remove the line (the cell's code then runs as written)."),
                    ['!', ..] => ("a shell escape", "Put a package in requirements.txt, or run the command with subprocess.run."),
                    _ when text.StartsWith("%matplotlib", StringComparison.Ordinal) => ("an IPython magic", "Remove the line: plots saved with savefig need none (matplotlib's default backend off a screen is Agg)."),
                    _ => ("an IPython magic", "Remove the line, or write the Python it stands for."),
                };
                bag.Add(Codes.NotebookMagic, file, line.Line, line.Column, relative, state, i + 1, text.Length > 60 ? text[..60] + "..." : text, what, fix);
            }
        }
    }

    /// <summary>A placeholder of the original templates on a line, at or after the column a syntax error names.</summary>
    private static (string Written, string Placeholder, int Column)? OriginalPlaceholderAt(string path, int line, int column)
    {
        try
        {
            var text = ModelFiles.ReadLines(path).Skip(line - 1).FirstOrDefault() ?? "";
            var from = Math.Clamp(column - 1, 0, text.Length);
            return Suggestions.OriginalPlaceholder(text[from..]) is { } found ? (found.Written, found.Placeholder, from + found.Index + 1) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void CheckPlaceholders(JsonTree node, string path, DiagnosticBag bag)
    {
        if (node.IsString && Suggestions.OriginalPlaceholder(node.String!) is { } original)
            bag.Add(Codes.OriginalPlaceholder, path, node.Line, node.Column, original.Written, original.Placeholder);
        if (node.IsString)
        {
            foreach (Match match in PlaceholderPattern().Matches(node.String!))
            {
                var name = match.Groups[1].Value;
                if (!Placeholders.Names.Contains(name))
                    bag.Add(Codes.UnknownPlaceholder, path, node.Line, node.Column, name, string.Join(", ", Placeholders.Names));
            }
        }
        foreach (var member in node.Members) CheckPlaceholders(member.Value, path, bag);
        foreach (var item in node.Items) CheckPlaceholders(item, path, bag);
    }

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex PlaceholderPattern();

    private sealed class Walker(string path, string modelDirectory, DiagnosticBag bag)
    {
        /// <summary>The first Task that runs a Jupyter notebook (the handler converts those with nbconvert).</summary>
        public (string State, JsonTree Path)? FirstNotebook { get; private set; }

        /// <summary>Every state that runs a notebook of the model, with the notebook's path.</summary>
        public List<(string State, string Relative)> NotebookSteps { get; } = [];

        private void Structure(JsonTree at, string message) => bag.Add(Codes.StateMachineStructure, path, at.Line, at.Column, message);

        public void Machine(JsonTree machine, string label)
        {
            if (machine.Kind != JsonKind.Object)
            {
                Structure(machine, $"{label} must be a JSON object with StartAt and States, not {machine.Describe()}.");
                return;
            }
            var startAt = machine["StartAt"];
            var states = machine["States"];
            if (states is null || states.Kind != JsonKind.Object || states.Members.Count == 0)
            {
                Structure(states ?? machine, $"{label} needs a non-empty \"States\" object.");
                return;
            }
            var names = states.Members.Select(m => m.Key).ToHashSet(StringComparer.Ordinal);
            if (startAt is null || !startAt.IsString)
            {
                Structure(startAt ?? machine, $"{label} needs \"StartAt\": the name of its first state.");
                return;
            }
            if (!names.Contains(startAt.String!))
            {
                bag.Add(Codes.UnknownTransition, path, startAt.Line, startAt.Column, $"{label} starts at '{startAt.String}', which is not one of its states.");
                return;
            }

            var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var terminal = false;
            var errorsBefore = bag.Items.Count(d => d.Severity == Severity.Error);
            foreach (var (name, state) in states.Members)
            {
                var targets = new List<string>();
                edges[name] = targets;
                terminal |= State(name, state, names, targets);
            }
            // A broken transition usually is the missing end: report the machine only when its states are otherwise sound.
            if (!terminal && bag.Items.Count(d => d.Severity == Severity.Error) == errorsBefore)
                bag.Add(Codes.NoTerminalState, path, machine.Line, machine.Column, label);

            var reached = new HashSet<string>(StringComparer.Ordinal) { startAt.String! };
            var queue = new Queue<string>(reached);
            while (queue.TryDequeue(out var current))
                foreach (var next in edges[current])
                    if (names.Contains(next) && reached.Add(next)) queue.Enqueue(next);
            foreach (var (name, state) in states.Members)
                if (!reached.Contains(name))
                    bag.Add(Codes.UnreachableState, path, state.Line, state.Column, name, startAt.String);
        }

        /// <summary>Checks one state, collects its transitions; returns whether it ends the machine.</summary>
        private bool State(string name, JsonTree state, HashSet<string> names, List<string> targets)
        {
            if (state.Kind != JsonKind.Object)
            {
                Structure(state, $"State '{name}' must be an object, not {state.Describe()}.");
                return false;
            }
            var type = state["Type"];
            if (type is null || !type.IsString || !StateTypes.Contains(type.String!))
            {
                Structure(type ?? state, $"State '{name}' needs a \"Type\": one of {string.Join(", ", StateTypes)}.");
                return false;
            }

            void Target(JsonTree? at, string what)
            {
                if (at is null) return;
                if (!at.IsString)
                {
                    Structure(at, $"State '{name}': {what} must be a state name.");
                    return;
                }
                targets.Add(at.String!);
                if (!names.Contains(at.String!))
                    bag.Add(Codes.UnknownTransition, path, at.Line, at.Column, $"State '{name}': {what} '{at.String}' is not a state of this machine.");
            }

            var next = state["Next"];
            var end = state["End"];
            var ends = end is { Kind: JsonKind.True };
            var kind = type.String!;
            switch (kind)
            {
                case "Choice":
                    if (next is not null || end is not null) Structure(state, $"Choice state '{name}' cannot have Next or End; its Choices and Default say where to go.");
                    var choices = state["Choices"];
                    if (choices is null || choices.Kind != JsonKind.Array || choices.Items.Count == 0)
                        Structure(choices ?? state, $"Choice state '{name}' needs a non-empty \"Choices\" list.");
                    else
                        for (var i = 0; i < choices.Items.Count; i++)
                        {
                            var rule = choices.Items[i];
                            if (rule["Next"] is null) Structure(rule, $"Choice state '{name}': rule {i + 1} has no Next.");
                            Target(rule["Next"], $"rule {i + 1}'s Next");
                        }
                    Target(state["Default"], "Default");
                    return false;
                case "Succeed":
                case "Fail":
                    if (next is not null || end is not null) Structure(state, $"{kind} state '{name}' ends the machine; it cannot have Next or End.");
                    return true;
            }

            if (next is not null && ends) Structure(state, $"State '{name}' has both Next and End; keep one.");
            else if (next is null && !ends) Structure(state, $"State '{name}' needs \"Next\" or \"End\": true.");
            Target(next, "Next");

            var catchers = state["Catch"];
            if (catchers is not null)
            {
                if (catchers.Kind != JsonKind.Array) Structure(catchers, $"State '{name}': Catch must be a list.");
                else
                    foreach (var catcher in catchers.Items)
                    {
                        if (catcher["ErrorEquals"] is not { Kind: JsonKind.Array }) Structure(catcher, $"State '{name}': every Catch needs an ErrorEquals list.");
                        if (catcher["Next"] is null) Structure(catcher, $"State '{name}': every Catch needs a Next.");
                        Target(catcher["Next"], "Catch's Next");
                    }
            }
            var retriers = state["Retry"];
            if (retriers is not null)
            {
                if (retriers.Kind != JsonKind.Array) Structure(retriers, $"State '{name}': Retry must be a list.");
                else
                    foreach (var retrier in retriers.Items)
                        if (retrier["ErrorEquals"] is not { Kind: JsonKind.Array }) Structure(retrier, $"State '{name}': every Retry needs an ErrorEquals list.");
            }

            switch (kind)
            {
                case "Task":
                    if (state["Resource"] is not { IsString: true }) Structure(state, $"Task state '{name}' needs a \"Resource\" string.");
                    else if (state["Resource"]!.String == Fargate.RunTaskSync) FargateState(name, state);
                    if (state["Resource"] is { IsString: true } resource && LinearWorkflow.FaultRetry.For(resource.String!) is { } fault
                        && !(state["Retry"]?.Kind == JsonKind.Array && state["Retry"]!.Items.Any(r => r["ErrorEquals"]?.Kind == JsonKind.Array
                            && r["ErrorEquals"]!.Items.Any(e => e.String == fault.Error || e.String == "States.ALL"))))
                        bag.Add(Codes.RetryMissing, path, state.Line, state.Column, name, fault.Service, fault.Error, fault.When, fault.Json);
                    foreach (var input in new[] { state["Parameters"], state["Arguments"] })
                        if (input is not null) Notebooks(name, input);
                    break;
                case "Wait":
                    if (new[] { "Seconds", "Timestamp", "SecondsPath", "TimestampPath" }.Count(k => state[k] is not null) != 1)
                        Structure(state, $"Wait state '{name}' needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath.");
                    break;
                case "Parallel":
                    var branches = state["Branches"];
                    if (branches is null || branches.Kind != JsonKind.Array || branches.Items.Count == 0)
                        Structure(branches ?? state, $"Parallel state '{name}' needs a non-empty \"Branches\" list.");
                    else
                        for (var i = 0; i < branches.Items.Count; i++)
                            Machine(branches.Items[i], $"Branch {i + 1} of Parallel state '{name}'");
                    break;
                case "Map":
                    var processor = state["ItemProcessor"] ?? state["Iterator"];
                    if (processor is null) Structure(state, $"Map state '{name}' needs an \"ItemProcessor\".");
                    else Machine(processor, $"The ItemProcessor of Map state '{name}'");
                    break;
            }
            return ends;
        }

        /// <summary>A Fargate Task names its step (notebook_path, completed at publish) or is a whole RunTask request of the user's (TaskDefinition).</summary>
        private void FargateState(string name, JsonTree state)
        {
            var parameters = state["Parameters"];
            if (parameters is null || parameters.Kind != JsonKind.Object)
                bag.Add(Codes.FargateStateIncomplete, path, state.Line, state.Column, name, "has no Parameters");
            else if (parameters["notebook_path"] is { } notebook && !notebook.IsString)
                bag.Add(Codes.FargateStateIncomplete, path, notebook.Line, notebook.Column, name, "has a notebook_path that is not a string");
            else if (parameters["notebook_path"] is null && parameters["TaskDefinition"] is null && parameters["TaskDefinition.$"] is null)
                bag.Add(Codes.FargateStateIncomplete, path, parameters.Line, parameters.Column, name, "names no step");
        }

        /// <summary>What to say after "not a file of the model": '/' for a Windows path, else the nearest step file, if any is near.</summary>
        private string Hint(string relative)
        {
            if (relative.Contains('\\'))
            {
                var slashed = relative.Replace('\\', '/');
                return ModelFiles.Exists(Path.Combine(modelDirectory, slashed))
                    ? $" Paths in the state machine use '/', as in the image (Linux): write '{slashed}'."
                    : " Paths in the state machine use '/', as in the image (Linux).";
            }
            _steps ??= StepFiles(modelDirectory);
            return Suggestions.Nearest(relative, _steps) is { } nearest ? $" Did you mean '{nearest}'?" : "";
        }

        private List<string>? _steps;

        private static List<string> StepFiles(string modelDirectory)
        {
            return ModelFiles.Tree(modelDirectory)
                .Where(f => f.EndsWith(".py", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase))
                .Select(f => Path.GetRelativePath(modelDirectory, f).Replace('\\', '/'))
                .Where(f => f.Split('/')[0] is not ("scenarios" or "obj" or "bin" or ".venv" or "venv"))
                .Take(10_000).ToList();
        }

        /// <summary>Every literal notebook_path a Task passes must name a file the image will contain.</summary>
        private void Notebooks(string state, JsonTree node)
        {
            foreach (var (key, value) in node.Members)
            {
                if (key == "notebook_path" && value.IsString && !value.String!.Contains("${", StringComparison.Ordinal))
                {
                    var relative = value.String!;
                    var full = Path.GetFullPath(Path.Combine(modelDirectory, relative));
                    var root = Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
                    if (Path.IsPathRooted(relative) || !full.StartsWith(root, StringComparison.Ordinal) || !ModelFiles.Exists(full))
                        bag.Add(Codes.NotebookMissing, path, value.Line, value.Column, state, relative, full, Hint(relative));
                    else if (relative.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase))
                    {
                        FirstNotebook ??= (state, value);
                        NotebookSteps.Add((state, relative));
                    }
                }
                else
                {
                    Notebooks(state, value);
                }
            }
            foreach (var item in node.Items) Notebooks(state, item);
        }
    }
}
