namespace Quetzal.Sdk.Model;

/// <summary>A setting that is a whole number in a range (QTZ1006 when it is not): Lambda's limits, and the SDK's own.</summary>
public sealed record SettingLimit(string Property, int Min, int Max, string Unit)
{
    public static readonly SettingLimit LambdaMemory = new("QuetzalLambdaMemorySize", 128, 10240, "MB");
    public static readonly SettingLimit LambdaTimeout = new("QuetzalLambdaTimeout", 1, 900, "seconds");
    public static readonly SettingLimit LambdaStorage = new("QuetzalLambdaStorageSize", 512, 10240, "MB of ephemeral storage");
    public static readonly SettingLimit PublishLockTimeout = new("QuetzalPublishLockTimeout", 0, int.MaxValue, "seconds");
    /// <summary>At most Step Functions' 1000 versions of a state machine; at least the current one.</summary>
    public static readonly SettingLimit VersionsToKeep = new("QuetzalVersionsToKeep", 1, 1000, "versions");
    public static readonly SettingLimit EcrImagesToKeep = new("QuetzalEcrImagesToKeep", 1, 10000, "images");

    public bool TryParse(string? value, out int number) => TryParse(value, Min, Max, out number);

    /// <summary>A whole number (digits only, spaces around allowed) from min to max.</summary>
    public static bool TryParse(string? value, int min, int max, out int result)
    {
        result = 0;
        return value is not null
            && int.TryParse(value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out result)
            && result >= min && result <= max;
    }

    /// <summary>The number, or QTZ1006 naming the project.</summary>
    public int Parse(string? value, string projectFile)
        => TryParse(value, out var number) ? number
            : throw new Diagnostics.QuetzalException(Diagnostics.Codes.LimitOutOfRange.Create(projectFile, Property, value, Min, Max, Unit));
}
