using Microsoft.Build.Framework;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Grants (or revokes) a Cognito group's access to the model's bucket in the config bucket's access file.</summary>
public sealed class ChangeQuetzalAccess : QuetzalTask
{
    [Required] public string Region { get; set; } = "";
    public string? Profile { get; set; }
    [Required] public string ConfigBucket { get; set; } = "";
    [Required] public string BucketName { get; set; } = "";
    public string? Group { get; set; }
    public bool Revoke { get; set; }

    protected override void ExecuteCore()
    {
        if (string.IsNullOrWhiteSpace(Group))
        {
            Report(Codes.GroupMissing.Create(null));
            return;
        }
        var grants = new AccessGrants(new AwsSettings(Region, NullIfEmpty(Profile)), this);
        try
        {
            (Revoke ? grants.RevokeAsync(ConfigBucket, Group, BucketName, Cancellation) : grants.GrantAsync(ConfigBucket, Group, BucketName, Cancellation))
                .GetAwaiter().GetResult();
        }
        catch (QuetzalException e)
        {
            Report(e.Diagnostic);
        }
    }

}
