using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Tasks;

/// <summary>A task that reads the Fargate settings (the QuetzalEcs* properties): validation and publish.</summary>
public abstract class FargateSettingsTask : QuetzalTask
{
    public string? EcsCpu { get; set; }
    public string? EcsMemory { get; set; }
    public string? EcsStorage { get; set; }
    public string? EcsTimeLimit { get; set; }
    public string? EcsSubnets { get; set; }
    public string? EcsSecurityGroups { get; set; }
    public string? EcsAssignPublicIp { get; set; }

    /// <summary>The settings as the project gives them (an empty property: its default).</summary>
    protected FargateSettings Fargate => FargateSettings.From(EcsCpu, EcsMemory, EcsStorage, EcsTimeLimit, EcsSubnets, EcsSecurityGroups, EcsAssignPublicIp);
}
