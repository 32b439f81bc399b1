using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Publish;

namespace Quetzal.Sdk.Tasks;

/// <summary>
/// QuetzalVersions lists the deployed model's versions; QuetzalRollback (<see cref="Rollback"/>) makes
/// QuetzalVersion current again, in seconds and without building anything (<see cref="ModelVersions"/>).
/// </summary>
public sealed class ManageQuetzalVersions : ModelTask
{
    public bool Rollback { get; set; }
    /// <summary>QuetzalVersion: the version to make current (12 or v12).</summary>
    public string? Version { get; set; }
    public bool DryRun { get; set; }

    protected override void ExecuteCore()
    {
        var model = Resolved;
        var number = 0;
        if (Rollback && !ModelVersions.TryParseNumber(Version, out number))
        {
            Report(Codes.VersionNotGiven.Create(model.ProjectFile));
            return;
        }
        var request = new VersionsRequest(model.Resources, Model.Fargate.UsesFargate(model.StateMachinePath), PublishRequests.LockTimeout(model),
            model.UserEmail ?? Publisher.DefaultEmail(), model.ModelDirectory);
        using var clients = new AwsClients(new AwsSettings(model.Region, model.Profile), this);
        var versions = new ModelVersions(clients, this);
        if (!Rollback)
        {
            var rows = versions.ListAsync(request, Cancellation).GetAwaiter().GetResult();
            if (rows.Count == 0)
            {
                Info($"Quetzal: {model.ModelName} has no versions yet in {model.Region}: the first publish (dotnet build -t:Publish) makes v1.");
                return;
            }
            Info($"Quetzal: versions of {model.ModelName} in {model.Region}, newest first (* current; runs: executions running on it now):");
            foreach (var line in ModelVersions.Table(rows)) Info(line);
            Info("Make one current again with: dotnet build -t:QuetzalRollback -p:QuetzalVersion=<number> (-p:QuetzalDryRun=true to see what it changes).");
            return;
        }
        Info(DryRun ? $"Quetzal: rollback plan for {model.ModelName} (dry run: nothing is changed)" : $"Quetzal: making v{number} of {model.ModelName} current in {model.Region}");
        using var exclusive = PublishLock.Acquire(model.LockFile, model.ModelName, request.LeaseTimeout, this, Cancellation);
        foreach (var line in versions.RollbackAsync(request, number, DryRun, Cancellation).GetAwaiter().GetResult()) Info("  " + line);
    }
}
