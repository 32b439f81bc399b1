using System.Text.Json;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// What `dotnet run -- --mode aws` needs to know of the model's deployment, written by the build (the same request a
/// publish makes, from the same properties) for the run to read: the region and profile, and the publish request whose
/// dry-run plan says whether what is deployed is what the folder holds.
/// </summary>
public sealed record AwsRunSettings(string Region, string? Profile, PublishRequest Request)
{
    private static readonly JsonSerializerOptions Options = new() { IncludeFields = true, WriteIndented = true };

    /// <summary>Writes the file when it differs (its time then says when the settings last changed).</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Core.GeneratedFiles.WriteIfChanged(path, JsonSerializer.Serialize(this, Options) + "\n");
    }

    public static AwsRunSettings Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<AwsRunSettings>(File.ReadAllText(path), Options) ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            throw new Diagnostics.QuetzalException(Diagnostics.Codes.InvalidInput, $"the model's publish settings ({path}) cannot be read ({e.Message}); run dotnet build, then again");
        }
    }
}
