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
        using var clients = new AwsClients(new AwsSettings(Region, NullIfEmpty(Profile)), this);
        var grants = new AccessGrants(clients.S3, clients.S3Profile, this);
        (Revoke ? grants.RevokeAsync(ConfigBucket, Group, BucketName, Cancellation) : grants.GrantAsync(ConfigBucket, Group, BucketName, Cancellation))
            .GetAwaiter().GetResult();
    }

}
