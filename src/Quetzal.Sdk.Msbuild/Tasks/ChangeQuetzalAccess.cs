using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tasks;

/// <summary>Grants (or revokes) a Cognito group's access to the model's bucket in the config bucket's access file.</summary>
public sealed class ChangeQuetzalAccess : ModelTask
{
    /// <summary>QuetzalCognitoGroup, typed by the user.</summary>
    public string? Group { get; set; }
    public bool Revoke { get; set; }

    protected override void ExecuteCore()
    {
        if (string.IsNullOrWhiteSpace(Group))
        {
            Report(Codes.GroupMissing.Create(null));
            return;
        }
        var model = Resolved;
        using var clients = new AwsClients(new AwsSettings(model.Region, model.Profile), this);
        var grants = new AccessGrants(clients.S3, clients.S3Profile, this);
        (Revoke ? grants.RevokeAsync(model.ConfigBucket, Group, model.BucketName, Cancellation) : grants.GrantAsync(model.ConfigBucket, Group, model.BucketName, Cancellation))
            .GetAwaiter().GetResult();
    }
}
