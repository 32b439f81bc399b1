using Microsoft.Build.Framework;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>Writes environments/&lt;model&gt;.tfvars for infra/ from the project's properties, and prints the terraform commands.</summary>
public sealed class WriteQuetzalTfvars : QuetzalTask
{
    [Required] public string ModelName { get; set; } = "";
    [Required] public string Region { get; set; } = "";
    [Required] public string TfvarsFile { get; set; } = "";
    [Required] public string InfraDirectory { get; set; } = "";
    public string? CorsOrigins { get; set; }
    [Required] public int EcrImagesToKeep { get; set; }
    public string? IdentityPoolId { get; set; }
    public string? UserPoolId { get; set; }
    public string? Tags { get; set; }
    public string? StateBucket { get; set; }
    /// <summary>The model's workflow: a Fargate step in it turns on infra/'s ECS resources.</summary>
    public string? StateMachinePath { get; set; }

    protected override void ExecuteCore()
    {
        var settings = new TfvarsSettings(ModelName, Region, Split(CorsOrigins), EcrImagesToKeep, IdentityPoolId ?? "", UserPoolId ?? "",
            Split(Tags).Select(t => t.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1].Trim() : ""),
            EcsEnabled: NullIfEmpty(StateMachinePath) is { } workflow && Fargate.UsesFargate(workflow));
        if (string.IsNullOrWhiteSpace(IdentityPoolId))
            Report(Codes.TfvarsIncomplete.Create(TfvarsFile, "QuetzalCognitoIdentityPoolId", "cognito_identity_pool_id = \"\"",
                "Terraform creates the model's user role with no identity pool that may assume it, so Quenedi's users cannot reach the model's bucket."));
        if (string.IsNullOrWhiteSpace(CorsOrigins))
            Report(Codes.TfvarsIncomplete.Create(TfvarsFile, "QuetzalCorsOrigins", "cors_allowed_origins = []",
                "Terraform lets no browser origin call the bucket, so Quenedi (a web app) cannot read or write it."));

        Directory.CreateDirectory(Path.GetDirectoryName(TfvarsFile)!);
        Core.GeneratedFiles.WriteIfChanged(TfvarsFile, Tfvars.Render(settings));
        var state = string.IsNullOrWhiteSpace(StateBucket) ? "<your-terraform-state-bucket>" : StateBucket;
        var chdir = $"terraform -chdir=\"{InfraDirectory.TrimEnd('/', '\\')}\"";
        foreach (var line in new[]
                 {
                     $"Quetzal: wrote {TfvarsFile}. Next:",
                     $"  {chdir} init -backend-config=\"bucket={state}\" -backend-config=\"key=quetzal/terraform.tfstate\" -backend-config=\"region={Region}\"",
                     $"  {chdir} workspace select -or-create {ModelName}",
                     $"  {chdir} plan -var-file=\"{TfvarsFile}\"     (a new workspace plans {Tfvars.ResourceCount(settings)} to add, 0 to change, 0 to destroy)",
                     $"  {chdir} apply -var-file=\"{TfvarsFile}\"",
                     "  dotnet build -t:Publish",
                 })
            Log.LogMessage(MessageImportance.High, line);
    }

    private static string[] Split(string? list) => (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
