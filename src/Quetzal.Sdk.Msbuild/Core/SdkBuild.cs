namespace Quetzal.Sdk.Core;

/// <summary>This build of the SDK: what the SDK keeps between builds (read records, validation findings, content tags) is never trusted across two builds of it.</summary>
public static class SdkBuild
{
    public static readonly string Id = typeof(SdkBuild).Assembly.ManifestModule.ModuleVersionId.ToString("N");
}
