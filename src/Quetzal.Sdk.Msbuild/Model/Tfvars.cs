using System.Text;

namespace Quetzal.Sdk.Model;

public sealed record TfvarsSettings(string ModelName, string Region, IReadOnlyList<string> CorsOrigins, int EcrImagesToKeep,
    string IdentityPoolId, string UserPoolId, IReadOnlyDictionary<string, string> Tags, bool EcsEnabled = false);

/// <summary>The variables of infra/ for one model, as HCL.</summary>
public static class Tfvars
{
    public static string Render(TfvarsSettings s)
    {
        var text = new StringBuilder();
        text.Append("# Written by Quetzal.Sdk (dotnet build -t:QuetzalWriteTfvars) from the model's project: change the project, not this file.\n");
        text.Append($"quetzal_model_name       = {Quote(s.ModelName)}\n");
        text.Append($"aws_region               = {Quote(s.Region)}\n");
        text.Append($"cors_allowed_origins     = [{string.Join(", ", s.CorsOrigins.Select(Quote))}]\n");
        text.Append($"ecr_images_to_keep       = {s.EcrImagesToKeep}\n");
        text.Append($"cognito_identity_pool_id = {Quote(s.IdentityPoolId)}\n");
        text.Append($"cognito_user_pool_id     = {Quote(s.UserPoolId)}\n");
        text.Append($"ecs_enabled              = {(s.EcsEnabled ? "true" : "false")}\n");
        text.Append($"tags                     = {{ {string.Join(", ", s.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{Quote(t.Key)} = {Quote(t.Value)}"))} }}\n");
        return text.ToString();
    }

    /// <summary>
    /// What `terraform plan` adds in a new workspace: 16 resources, the user group when a user pool is given, and for
    /// a model with Fargate steps 7 more (cluster, log group, two roles and their policies, the state machine's ECS policy).
    /// </summary>
    public static int ResourceCount(TfvarsSettings s) => 16 + (string.IsNullOrEmpty(s.UserPoolId) ? 0 : 1) + (s.EcsEnabled ? EcsResources : 0);

    public const int EcsResources = 7;

    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '$' => "$$",
                '%' => "%%",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }
}
