namespace Quetzal.Sdk.Container;

/// <summary>Registry login from ECR's authorization token. Held in memory only: never in a file, a property or a log.</summary>
public sealed record RegistryCredentials(Uri Endpoint, string UserName, string Password)
{
    /// <summary>host[:port], as image names spell it.</summary>
    public string Registry => Endpoint.Authority;

    /// <summary>ToString hides the password, so that no log line or exception message can carry it.</summary>
    public override string ToString() => $"{UserName}@{Registry}";

    /// <summary>
    /// The same login at the host of <paramref name="repositoryUri"/> (host[:port]/name), where the repository's images
    /// are pushed and pulled: on ECR the token's endpoint is that host; a proxy in front of a registry names itself there.
    /// </summary>
    public RegistryCredentials At(string repositoryUri)
    {
        var host = repositoryUri.Split('/')[0];
        return string.Equals(host, Registry, StringComparison.OrdinalIgnoreCase) ? this : this with { Endpoint = new Uri($"{Endpoint.Scheme}://{host}") };
    }
}
