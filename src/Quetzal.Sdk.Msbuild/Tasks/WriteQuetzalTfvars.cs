using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes environments/&lt;model&gt;.tfvars for infra/ from the resolved model, and prints the terraform commands.</summary>
public sealed class WriteQuetzalTfvars : ModelTask
{
    protected override void ExecuteCore()
    {
        var model = Resolved;
        var settings = new TfvarsSettings(model.ModelName, model.Region, Split(model.CorsOrigins),
            SettingLimit.EcrImagesToKeep.Parse(model.EcrImagesToKeep, model.ProjectFile), model.IdentityPoolId ?? "", model.UserPoolId ?? "",
            Split(model.CostTags).Select(t => t.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1].Trim() : ""),
            EcsEnabled: Fargate.UsesFargate(model.StateMachinePath));
        if (model.IdentityPoolId is null)
            Report(Codes.TfvarsIncomplete.Create(model.TfvarsFile, "QuetzalCognitoIdentityPoolId", "cognito_identity_pool_id = \"\"",
                "Terraform creates the model's user role with no identity pool that may assume it, so Quenedi's users cannot reach the model's bucket."));
        if (model.CorsOrigins is null)
            Report(Codes.TfvarsIncomplete.Create(model.TfvarsFile, "QuetzalCorsOrigins", "cors_allowed_origins = []",
                "Terraform lets no browser origin call the bucket, so Quenedi (a web app) cannot read or write it."));

        Directory.CreateDirectory(Path.GetDirectoryName(model.TfvarsFile)!);
        Core.GeneratedFiles.WriteIfChanged(model.TfvarsFile, Tfvars.Render(settings));
        var state = model.TerraformStateBucket ?? "<your-terraform-state-bucket>";
        var chdir = $"terraform -chdir=\"{model.InfraDirectory.TrimEnd('/', '\\')}\"";
        foreach (var line in new[]
                 {
                     $"Quetzal: wrote {model.TfvarsFile}. Next:",
                     $"  {chdir} init -backend-config=\"bucket={state}\" -backend-config=\"key=quetzal/terraform.tfstate\" -backend-config=\"region={model.Region}\"",
                     $"  {chdir} workspace select -or-create {model.ModelName}",
                     $"  {chdir} plan -var-file=\"{model.TfvarsFile}\"     (a new workspace plans {Tfvars.ResourceCount(settings)} to add, 0 to change, 0 to destroy)",
                     $"  {chdir} apply -var-file=\"{model.TfvarsFile}\"",
                     "  dotnet build -t:Publish",
                 })
            Log.LogMessage(MessageImportance.High, line);
    }

    private static string[] Split(string? list) => (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
