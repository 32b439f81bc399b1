using Microsoft.Build.Framework;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelTeardown"/> once the user confirmed with the model's name, then prints the destroy commands.</summary>
public sealed class TeardownQuetzalModel : QuetzalTask
{
    [Required] public string ModelName { get; set; } = "";
    [Required] public string LockFile { get; set; } = "";
    [Required] public int LockTimeout { get; set; }
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    [Required] public string BucketName { get; set; } = "";
    [Required] public string RepositoryName { get; set; } = "";
    [Required] public string FunctionName { get; set; } = "";
    public string? Confirmation { get; set; }
    public bool DryRun { get; set; }
    [Required] public string InfraDirectory { get; set; } = "";
    [Required] public string TfvarsFile { get; set; } = "";
    /// <summary>The model's workflow: with a Fargate step, the task definition's revisions are deregistered too.</summary>
    public string? StateMachinePath { get; set; }

    protected override void ExecuteCore()
    {
        if (!DryRun && Confirmation != ModelName)
        {
            Report(Codes.TeardownNotConfirmed.Create(null, ModelName));
            return;
        }
        Info(DryRun ? $"Quetzal: teardown plan for {ModelName} (dry run: nothing is deleted)" : $"Quetzal: tearing down {ModelName} in {Region}");
        using (PublishLock.Acquire(LockFile, ModelName, TimeSpan.FromSeconds(LockTimeout), this, Cancellation))
        using (var clients = new AwsClients(new AwsSettings(Region, NullIfEmpty(Profile)), this))
        {
            new ModelTeardown(clients, this)
                .RunAsync(new TeardownRequest(ModelName, BucketName, RepositoryName, FunctionName, DryRun, TimeSpan.FromSeconds(LockTimeout),
                    Fargate: NullIfEmpty(StateMachinePath) is { } workflow && Model.Fargate.UsesFargate(workflow)), Cancellation).GetAwaiter().GetResult();
        }
        var chdir = $"terraform -chdir=\"{InfraDirectory.TrimEnd('/', '\\')}\"";
        Info(DryRun ? "Then, after a real teardown:" : "Now Terraform can destroy the rest:");
        Info($"  {chdir} workspace select {ModelName}");
        Info($"  {chdir} destroy -var-file=\"{TfvarsFile}\"");
        Info($"  {chdir} workspace select default");
        Info($"  {chdir} workspace delete {ModelName}");
    }

}
