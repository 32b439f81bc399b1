using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes environments/&lt;model&gt;.tfvars for infra/ from the resolved model, and prints the terraform commands.</summary>
public sealed class WriteQuetzalTfvars : ModelTask
{
    /// <summary>The SDK's infra/ (in the package): copied into the model's infra/ when that is the Terraform root.</summary>
    public string? InfraSource { get; set; }

    protected override void ExecuteCore()
    {
        var model = Resolved;
        CopyInfra(model);
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

    /// <summary>
    /// The model's infra/ holds the SDK's Terraform files (each with the generated header, refreshed when the SDK's
    /// change), so that <c>terraform -chdir</c> names a folder that stays where it is across SDK versions and
    /// <c>terraform init</c> writes its .terraform/ there, not in the NuGet cache. A file whose header was removed is
    /// the user's and stays as it is. Nothing is copied when QuetzalInfraDirectory names another folder.
    /// </summary>
    private void CopyInfra(ResolvedModel model)
    {
        if (NullIfEmpty(InfraSource) is not { } source || !Directory.Exists(source)) return;
        var target = Path.GetFullPath(model.InfraDirectory);
        var own = Path.GetFullPath(Path.Combine(model.ModelDirectory, "infra"));
        if (!string.Equals(target.TrimEnd('/', '\\'), own.TrimEnd('/', '\\'), StringComparison.Ordinal)) return;
        var copied = 0;
        foreach (var file in Directory.EnumerateFiles(source, "*.tf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(source, file);
            var destination = Path.Combine(target, relative);
            if (!Core.GeneratedFiles.IsOwnedBySdk(destination))
            {
                Report(Codes.UserOwnedFile.Create(destination, Path.Combine("infra", relative)));
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            if (Core.GeneratedFiles.WriteIfChanged(destination, Core.GeneratedFiles.Header(SdkVersion) + File.ReadAllText(file))) copied++;
        }
        if (copied > 0) Log.LogMessage(MessageImportance.High, $"Quetzal: {copied} Terraform files of Quetzal.Sdk {SdkVersion} in {target}");
    }

    private static string[] Split(string? list) => (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
