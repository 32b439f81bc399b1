using Quetzal.Sdk.Core;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Validation;

public sealed record ValidationResult(IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> Scenarios)
{
    public bool Succeeded => !Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Everything <c>dotnet build</c> checks before a model may be deployed: settings and names, scenarios and their
/// inputs, networks (streamed, files validated in parallel across cores), params.json and the state machine.
/// </summary>
public static class ModelValidator
{
    /// <param name="generatedStateMachinePath">Where the workflow made from QuetzalStep items was written (QuetzalGenerateWorkflow), when the project has no state machine file.</param>
    /// <param name="cache">What the last build found for each input (networks, params.json): an input whose files did not change is not read again.</param>
    public static ValidationResult Validate(ModelSettings model, string projectFile, string generatedStateMachinePath, CancellationToken cancellation = default, ValidationCache? cache = null)
    {
        var bag = new DiagnosticBag();
        ValidateSettings(model, projectFile, bag);
        var scenarios = ValidateScenarios(model, projectFile, bag, out var readable);
        ValidateInputs(model, readable, bag, cache ?? ValidationCache.None, cancellation);
        ValidateWorkflow(model, projectFile, generatedStateMachinePath, bag);
        var workflow = ModelFiles.Exists(model.StateMachinePath) ? model.StateMachinePath : generatedStateMachinePath;
        Fargate.Validate(model.Fargate, projectFile, Fargate.FirstState(workflow) ?? model.Steps.FirstOrDefault(s => s.OnFargate)?.StateName, bag);
        if (!string.IsNullOrEmpty(model.LibraryPath) && !ModelFiles.FolderExists(Path.Combine(model.ModelDirectory, model.LibraryPath)))
            bag.Add(Codes.LibraryPathMissing, projectFile, 0, 0, model.LibraryPath);
        return new ValidationResult(bag.Items, scenarios);
    }

    public static void ValidateSettings(ModelSettings model, string projectFile, DiagnosticBag bag)
    {
        void Name(DiagnosticDescriptor code, string? value, Func<string, string?> rule)
        {
            if (value is null) return;
            var problem = rule(value);
            if (problem is not null) bag.Add(code, projectFile, 0, 0, value, problem);
        }

        Name(Codes.InvalidModelName, model.ModelName, NameRules.BucketName);
        // Derived names are checked only when set apart from the model name, so one mistake gives one error.
        Name(Codes.InvalidBucketName, Derived(model.BucketName, model.ModelName), NameRules.BucketName);
        Name(Codes.InvalidRepositoryName, Derived(model.RepositoryName, model.ModelName), NameRules.RepositoryName);
        Name(Codes.InvalidFunctionName, Derived(model.FunctionName, model.ModelName), NameRules.FunctionName);
        Name(Codes.InvalidStateMachineName, Derived(model.StateMachineName, model.ModelName), NameRules.StateMachineName);

        Limit(SettingLimit.LambdaMemory, model.MemorySize);
        Limit(SettingLimit.LambdaTimeout, model.Timeout);
        Limit(SettingLimit.LambdaStorage, model.StorageSize);
        if (!NameRules.IsRegion(model.Region)) bag.Add(Codes.InvalidRegion, projectFile, 0, 0, model.Region);
        if (!string.IsNullOrEmpty(model.ImageTag) && !NameRules.IsImageTag(model.ImageTag)) bag.Add(Codes.InvalidImageTag, projectFile, 0, 0, model.ImageTag);

        void Limit(SettingLimit limit, string value)
        {
            if (!limit.TryParse(value, out _)) bag.Add(Codes.LimitOutOfRange, projectFile, 0, 0, limit.Property, value, limit.Min, limit.Max, limit.Unit);
        }
    }

    private static string? Derived(string? value, string modelName) => string.IsNullOrEmpty(value) || value == modelName ? null : value;

    /// <summary>Checks names and folders; returns the publish order and, through <paramref name="readable"/>, the scenarios whose files can be read.</summary>
    private static IReadOnlyList<string> ValidateScenarios(ModelSettings model, string projectFile, DiagnosticBag bag, out List<string> readable)
    {
        readable = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scenario in model.Scenarios)
        {
            if (!seen.Add(scenario))
            {
                bag.Add(Codes.DuplicateScenario, projectFile, 0, 0, scenario);
                continue;
            }
            if (scenario == Scenarios.Common)
            {
                bag.Add(Codes.ReservedScenarioName, model.ScenarioDirectory(scenario), 0, 0, scenario);
                continue;
            }
            var problem = NameRules.ScenarioName(scenario);
            if (problem is not null)
            {
                bag.Add(Codes.InvalidScenarioName, projectFile, 0, 0, scenario, problem);
                continue;
            }
            var folder = model.ScenarioDirectory(scenario);
            if (!ModelFiles.FolderExists(folder))
            {
                var hint = Scenarios.MissingFolderHint(Path.Combine(model.ModelDirectory, model.ScenariosDirectory), scenario);
                bag.Add(scenario == Scenarios.Base && hint.Length == 0 ? Codes.BaseScenarioMissing.Create(projectFile, Path.Combine(model.ScenariosDirectory, Scenarios.Base))
                    : Codes.ScenarioFolderMissing.Create(projectFile, scenario, Path.Combine(model.ScenariosDirectory, scenario), hint));
                continue;
            }
            if (EscapesModel(model.ModelDirectory, folder))
            {
                bag.Add(Codes.PathEscapesModel, folder, 0, 0, folder);
                continue;
            }
            readable.Add(scenario);
        }
        if (!seen.Contains(Scenarios.Base))
            bag.Add(Codes.BaseScenarioMissing, projectFile, 0, 0, Path.Combine(model.ScenariosDirectory, Scenarios.Base));
        return Scenarios.Ordered(model.Scenarios.Where(s => NameRules.ScenarioName(s) is null));
    }

    private static void ValidateInputs(ModelSettings model, List<string> scenarios, DiagnosticBag bag, ValidationCache cache, CancellationToken cancellation)
    {
        foreach (var network in model.Networks)
            if (!Network.All.Contains(network)) bag.Add(Codes.UnknownNetwork, null, 0, 0, network);
        var required = model.Networks.Where(Network.All.Contains).ToList();

        // One unit of work per params file and per network (nodes then links); each writes to its own bag so the
        // order of the diagnostics does not depend on which core finished first.
        var work = new List<(DiagnosticBag Bag, Action<DiagnosticBag> Run)>();
        foreach (var scenario in scenarios)
        {
            var folder = model.ScenarioDirectory(scenario);
            foreach (var input in Network.RequiredInputs(required))
            {
                var file = Path.Combine(folder, input);
                if (ModelFiles.Exists(file)) continue;
                var remedy = input == Network.ParamsFile
                    ? "Every scenario needs one: Quenedi reads and edits the scenario's parameters there (a JSON list of categories; [] for a model without parameters)."
                    : $"To build a model without the {input.Split('/')[1]} network, add <QuetzalNetwork Remove=\"{input.Split('/')[1]}\" /> to the project.";
                bag.Add(Codes.RequiredInputMissing, folder, 0, 0, scenario, input, remedy);
            }
            work.Add((new DiagnosticBag(), b => ScenarioFiles.Validate(folder, b, cancellation)));
            var paramsFile = Path.Combine(folder, Network.ParamsFile);
            if (ModelFiles.Exists(paramsFile) && !Escapes(paramsFile))
                work.Add((new DiagnosticBag(), b => cache.Run($"params|{paramsFile}", [paramsFile], b, own => ParamsValidator.Validate(paramsFile, own))));

            foreach (var network in Network.All)
            {
                var nodes = Path.Combine(folder, Network.NodesFile(network));
                var links = Path.Combine(folder, Network.LinksFile(network));
                var isPt = network == Network.Pt;
                if (!ModelFiles.Exists(nodes) || Escapes(nodes))
                {
                    if (ModelFiles.Exists(links) && !Escapes(links))
                        work.Add((new DiagnosticBag(), b => cache.Run($"links|{links}|{isPt}", [links, nodes], b, own => NetworkValidator.ValidateLinks(links, isPt, null, nodes, own, cancellation))));
                    continue;
                }
                var withLinks = ModelFiles.Exists(links) && !Escapes(links) ? links : null;
                // The nodes and their links together: a changed nodes file re-checks the links' references.
                work.Add((new DiagnosticBag(), b => cache.Run($"network|{nodes}|{withLinks}|{isPt}", withLinks is null ? [nodes] : [nodes, withLinks], b,
                    own => NetworkCheck.Validate(nodes, withLinks, isPt, own, cancellation))));
            }
        }

        bool Escapes(string file)
        {
            if (!EscapesModel(model.ModelDirectory, file)) return false;
            bag.Add(Codes.PathEscapesModel, file, 0, 0, file);
            return true;
        }

        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation },
            item => item.Run(item.Bag));
        foreach (var item in work) bag.AddRange(item.Bag.Items);
    }

    /// <summary>Validates the state machine file, or the steps and the workflow generated from them.</summary>
    private static void ValidateWorkflow(ModelSettings model, string projectFile, string generatedPath, DiagnosticBag bag)
    {
        var file = model.StateMachinePath;
        if (ModelFiles.Exists(file))
        {
            if (model.Steps.Count > 0) bag.Add(Codes.StepsIgnored, projectFile, 0, 0, model.StateMachineFile);
            StateMachineValidator.Validate(file, model.ModelDirectory, bag);
            return;
        }
        if (model.Steps.Count == 0)
        {
            bag.Add(Codes.StateMachineMissing, projectFile, 0, 0, model.StateMachineFile);
            return;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in model.Steps)
        {
            if (!ModelFiles.Exists(Path.Combine(model.ModelDirectory, step.NotebookPath)))
                bag.Add(Codes.InvalidStep, projectFile, 0, 0, step.NotebookPath, "no such file in the model");
            if (step.Compute is not (Step.Lambda or Step.Ecs))
                bag.Add(Codes.InvalidStep, projectFile, 0, 0, step.NotebookPath, $"Compute is '{step.Compute}'; a step runs on 'lambda' (the default) or 'ecs' (Fargate)");
            if (!names.Add(step.StateName))
                bag.Add(Codes.InvalidStep, projectFile, 0, 0, step.NotebookPath, $"the state name '{step.StateName}' is already used; set its StateName metadata");
        }
        if (ModelFiles.Exists(generatedPath)) StateMachineValidator.Validate(generatedPath, model.ModelDirectory, bag);
    }

    /// <summary>Whether a path is, or passes through, a link whose target lies outside the model folder.</summary>
    public static bool EscapesModel(string modelDirectory, string path)
    {
        var root = Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var current = Path.GetFullPath(path);
        while (current.Length >= root.Length && current.StartsWith(root, StringComparison.Ordinal))
        {
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (target is null || !Path.GetFullPath(target).StartsWith(root, StringComparison.Ordinal)) return true;
            }
            current = Path.GetDirectoryName(current) ?? "";
        }
        return false;
    }
}
