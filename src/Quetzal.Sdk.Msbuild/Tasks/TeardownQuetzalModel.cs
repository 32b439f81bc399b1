using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Publish;

namespace Quetzal.Sdk.Tasks;

/// <summary>Runs <see cref="ModelTeardown"/> once the user confirmed with the model's name, then prints the destroy commands.</summary>
public sealed class TeardownQuetzalModel : ModelTask
{
    /// <summary>QuetzalConfirmTeardown: the model's name, typed by the user.</summary>
    public string? Confirmation { get; set; }
    public bool DryRun { get; set; }

    protected override void ExecuteCore()
    {
        var model = Resolved;
        if (!DryRun && Confirmation != model.ModelName)
        {
            Report(Codes.TeardownNotConfirmed.Create(null, model.ModelName));
            return;
        }
        var lease = PublishRequests.LockTimeout(model);
        Info(DryRun ? $"Quetzal: teardown plan for {model.ModelName} (dry run: nothing is deleted)" : $"Quetzal: tearing down {model.ModelName} in {model.Region}");
        using (PublishLock.Acquire(model.LockFile, model.ModelName, lease, this, Cancellation))
        using (var clients = new AwsClients(new AwsSettings(model.Region, model.Profile), this))
        {
            new ModelTeardown(clients, this)
                .RunAsync(new TeardownRequest(model.ModelName, model.BucketName, model.RepositoryName, model.FunctionName, DryRun, lease,
                    Fargate: Model.Fargate.UsesFargate(model.StateMachinePath), StateMachineName: model.Resources.StateMachineName), Cancellation).GetAwaiter().GetResult();
        }
        var chdir = $"terraform -chdir=\"{model.InfraDirectory.TrimEnd('/', '\\')}\"";
        Info(DryRun ? "Then, after a real teardown:" : "Now Terraform can destroy the rest:");
        Info($"  {chdir} workspace select {model.ModelName}");
        Info($"  {chdir} destroy -var-file=\"{model.TfvarsFile}\"");
        Info($"  {chdir} workspace select default");
        Info($"  {chdir} workspace delete {model.ModelName}");
    }
}
