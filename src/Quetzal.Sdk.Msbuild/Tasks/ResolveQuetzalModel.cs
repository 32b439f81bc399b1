using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tasks;

/// <summary>
/// Writes the model, resolved, into obj/quetzal/model.json (<see cref="ResolvedModel"/>): the one place where the
/// project's properties and items become the settings every other task and `dotnet run` read. Its parameters are the
/// properties after Sdk.targets gave each its default. It reads no model file, so it runs on every build (the only
/// files it reads are the project and the SDK's own targets, for QTZ1012), and writes the document only when it changed.
/// </summary>
public sealed partial class ResolveQuetzalModel : QuetzalTask
{
    [Required] public string File { get; set; } = "";

    /// <summary>The SDK's Sdk/ folder: the properties its files read are the ones a project may set (QTZ1012 for the others).</summary>
    public string? SdkDirectory { get; set; }

    /// <summary>The document, for the tasks of this build (see <see cref="ModelTask"/>).</summary>
    [Output] public string Document { get; private set; } = "";
    [Required] public string ProjectFile { get; set; } = "";

    protected override string? DefaultFile => NullIfEmpty(ProjectFile);
    [Required] public string ModelDirectory { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ModelName { get; set; } = "";
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    public string? BucketName { get; set; }
    public string? RepositoryName { get; set; }
    public string? FunctionName { get; set; }
    public string? StateMachineName { get; set; }
    public string? MemorySize { get; set; }
    public string? Timeout { get; set; }
    public string? StorageSize { get; set; }
    public string? BaseImage { get; set; }
    public string? ImageTag { get; set; }
    public string? LibraryPath { get; set; }
    public string? SystemPackages { get; set; }
    public string? ImageEnvironment { get; set; }
    [Required] public string HandlerDirectory { get; set; } = "";
    public ITaskItem[] SdkState { get; set; } = [];
    [Required] public string StateMachineFile { get; set; } = "";
    [Required] public string StateMachinePath { get; set; } = "";
    [Required] public string GeneratedStateMachineFile { get; set; } = "";
    public ITaskItem[] Steps { get; set; } = [];
    public string? EcsCpu { get; set; }
    public string? EcsMemory { get; set; }
    public string? EcsStorage { get; set; }
    public string? EcsTimeLimit { get; set; }
    public string? EcsSubnets { get; set; }
    public string? EcsSecurityGroups { get; set; }
    public string? EcsAssignPublicIp { get; set; }
    [Required] public string ScenariosDirectory { get; set; } = "";
    public ITaskItem[] Scenarios { get; set; } = [];
    public ITaskItem[] Networks { get; set; } = [];
    public string? ModelConfigFile { get; set; }
    public string? DocsDirectory { get; set; }
    public string? UserEmail { get; set; }
    public string? PublishLockTimeout { get; set; }
    public string? VersionsToKeep { get; set; }
    public string? ConfigBucket { get; set; }
    public string? InfraDirectory { get; set; }
    public string? TfvarsFile { get; set; }
    public string? CorsOrigins { get; set; }
    public string? EcrImagesToKeep { get; set; }
    public string? IdentityPoolId { get; set; }
    public string? UserPoolId { get; set; }
    public string? CostTags { get; set; }
    public string? TerraformStateBucket { get; set; }
    public string? RunScenario { get; set; }
    public string? RunMode { get; set; }
    public string? Python { get; set; }
    public string? RunDirectory { get; set; }

    protected override void ExecuteCore()
    {
        var model = new ResolvedModel
        {
            ProjectFile = ProjectFile, ModelDirectory = ModelDirectory, IntermediateDirectory = IntermediateDirectory,
            ModelName = ModelName, Region = Region, Profile = NullIfEmpty(Profile),
            BucketName = BucketName ?? "", RepositoryName = RepositoryName ?? "", FunctionName = FunctionName ?? "", StateMachineName = StateMachineName ?? "",
            MemorySize = MemorySize ?? "", Timeout = Timeout ?? "", StorageSize = StorageSize ?? "",
            BaseImage = BaseImage ?? "", ImageTag = NullIfEmpty(ImageTag), LibraryPath = NullIfEmpty(LibraryPath),
            SystemPackages = NullIfEmpty(SystemPackages)?.Trim(), ImageEnvironment = NullIfEmpty(ImageEnvironment)?.Trim(),
            HandlerDirectory = HandlerDirectory, SdkState = SdkState.Select(i => i.GetMetadata("FullPath"))
                // The Terraform root, when it is the model's own infra/ (terraform init's providers included): never model code.
                .Concat(NullIfEmpty(InfraDirectory) is { } infra ? [Path.GetFullPath(Path.Combine(ModelDirectory, infra))] : []).ToList(),
            StateMachineFile = StateMachineFile, StateMachinePath = StateMachinePath, GeneratedStateMachineFile = GeneratedStateMachineFile,
            Steps = Steps.Select(Step).ToList(),
            Fargate = FargateSettings.From(EcsCpu, EcsMemory, EcsStorage, EcsTimeLimit, EcsSubnets, EcsSecurityGroups, EcsAssignPublicIp),
            ScenariosDirectory = ScenariosDirectory,
            Scenarios = Scenarios.Select(s => new ScenarioItem(s.ItemSpec, NullIfEmpty(s.GetMetadata("Description")?.Trim()),
                string.Equals(s.GetMetadata("Protected")?.Trim(), "true", StringComparison.OrdinalIgnoreCase))).ToList(),
            Networks = Networks.Select(n => n.ItemSpec).ToList(),
            ModelConfigFile = NullIfEmpty(ModelConfigFile), DocsDirectory = NullIfEmpty(DocsDirectory),
            UserEmail = NullIfEmpty(UserEmail), PublishLockTimeout = PublishLockTimeout ?? "", VersionsToKeep = VersionsToKeep ?? "", ConfigBucket = ConfigBucket ?? "",
            InfraDirectory = InfraDirectory ?? "", TfvarsFile = TfvarsFile ?? "", CorsOrigins = NullIfEmpty(CorsOrigins),
            EcrImagesToKeep = EcrImagesToKeep ?? "", IdentityPoolId = NullIfEmpty(IdentityPoolId), UserPoolId = NullIfEmpty(UserPoolId),
            CostTags = NullIfEmpty(CostTags), TerraformStateBucket = NullIfEmpty(TerraformStateBucket),
            RunScenario = RunScenario ?? "", RunMode = RunMode ?? "", Python = Python ?? "", RunDirectory = RunDirectory ?? "",
        };
        CheckPropertyNames();
        Document = model.ToJson();
        if (model.Write(File)) Log.LogMessage(MessageImportance.Normal, $"Quetzal: wrote {File}");
    }

    /// <summary>A step item as the model sees it: its path with '/', its state name (metadata StateName, else the file's name) and its compute (metadata Compute: lambda, the default, or ecs).</summary>
    internal static Step Step(ITaskItem item)
        => new(item.ItemSpec.Replace('\\', '/'), NullIfEmpty(item.GetMetadata("StateName")) ?? LinearWorkflow.DefaultStateName(item.ItemSpec),
            NullIfEmpty(item.GetMetadata("Compute"))?.Trim().ToLowerInvariant() ?? Model.Step.Lambda);

    /// <summary>
    /// QTZ1012 for a property named like the SDK's that no file of the SDK reads, given in the project file (at its
    /// line) or on the command line (-p:): MSBuild would ignore it without a word.
    /// </summary>
    private void CheckPropertyNames()
    {
        if (NullIfEmpty(SdkDirectory) is not { } sdk || !Directory.Exists(sdk)) return;
        var known = KnownProperties(sdk);
        if (known.Count == 0) return;

        var given = new List<(string Name, string? File, int Line, int Column)>();
        if (BuildEngine is IBuildEngine6 engine)
            foreach (var name in engine.GetGlobalProperties().Keys)
                given.Add((name, null, 0, 0));
        try
        {
            var project = XDocument.Load(ProjectFile, LoadOptions.SetLineInfo);
            foreach (var element in project.Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup"))
            {
                var info = (IXmlLineInfo)element;
                given.Add((element.Name.LocalName, ProjectFile, info.LineNumber, info.LinePosition));
            }
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            // MSBuild read the project, or said why it could not.
        }
        foreach (var (name, file, line, column) in given)
        {
            if (!name.StartsWith("Quetzal", StringComparison.OrdinalIgnoreCase) || known.Contains(name)) continue;
            var nearest = Suggestions.Nearest(name, known.Where(k => !k.StartsWith('_')));
            var where = file is null ? " (given on the command line)" : "";
            Report(Codes.UnknownProperty.Create(file, line, column, name + where, nearest is null ? "" : $" Did you mean {nearest}?"));
        }
    }

    /// <summary>The properties the SDK's targets and props read, kept per process while those files stay as they were.</summary>
    private static IReadOnlySet<string> KnownProperties(string sdk)
    {
        var files = Directory.EnumerateFiles(sdk).Where(f => f.EndsWith(".targets", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".props", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        var settled = true;
        var key = string.Join("|", files.Select(f =>
        {
            var stamp = Core.FileStamp.Of(f, out var thisSettled);
            settled &= thisSettled;
            return f + ":" + stamp;
        }));
        return settled ? Known.GetOrAdd(key, _ => Read(files)) : Read(files);

        static IReadOnlySet<string> Read(List<string> files)
        {
            var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in files)
                foreach (Match name in SdkPropertyName().Matches(System.IO.File.ReadAllText(file)))
                    known.Add(name.Groups[1].Value);
            return known;
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlySet<string>> Known = new(StringComparer.Ordinal);

    [GeneratedRegex(@"[$(<]\(?(Quetzal[A-Za-z0-9]+)\b")]
    private static partial Regex SdkPropertyName();
}
