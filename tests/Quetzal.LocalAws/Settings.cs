namespace Quetzal.LocalAws;

/// <summary>
/// What the stand-in is configured with, from the environment, so that eng/stack.sh and the tests choose keys and
/// tokens (canaries included) and the account and region its ARNs carry.
/// </summary>
internal sealed record Settings(
    string AccessKey, string SecretKey, string RegistryToken, string Registry, string AccountId, string Region,
    int PageSize, TimeSpan UpdateDelay, int ConditionalS3Port, Uri S3Upstream, string ServiceModels, Uri ContainerS3)
{
    public static Settings FromEnvironment()
    {
        static string Text(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
        static int Number(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;
        return new Settings(
            AccessKey: Text("QUETZAL_LOCAL_ACCESS_KEY", "S3RVER"),
            SecretKey: Text("QUETZAL_LOCAL_SECRET_KEY", "S3RVER"),
            RegistryToken: Text("QUETZAL_LOCAL_REGISTRY_TOKEN", "local-token"),
            Registry: Text("QUETZAL_LOCAL_REGISTRY", "127.0.0.1:5001"),
            AccountId: Text("QUETZAL_LOCAL_ACCOUNT_ID", "123456789012"),
            Region: Text("QUETZAL_LOCAL_REGION", "ca-central-1"),
            PageSize: Number("QUETZAL_LOCAL_PAGE_SIZE", 2),
            UpdateDelay: TimeSpan.FromMilliseconds(Number("QUETZAL_LOCAL_UPDATE_DELAY_MS", 600)),
            ConditionalS3Port: Number("QUETZAL_LOCAL_CONDITIONAL_S3_PORT", 4569),
            S3Upstream: new Uri(Text("QUETZAL_LOCAL_S3_UPSTREAM", "http://127.0.0.1:4568")),
            ServiceModels: Text("QUETZAL_LOCAL_SERVICE_MODELS", NewestBotocoreData()),
            // Where the containers of executions reach S3: this program on the Docker bridge's gateway, forwarding to the S3 server.
            ContainerS3: new Uri(Text("QUETZAL_LOCAL_CONTAINER_S3", "http://172.17.0.1:4570")));
    }

    /// <summary>
    /// The data folder of the newest botocore at hand (pyenv's or pip's, else Debian's python3-botocore): the service
    /// models of an older one lack operations the SDK calls (Step Functions' versions came in botocore 1.31).
    /// </summary>
    private static string NewestBotocoreData()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var candidates = new List<string>();
        foreach (var root in new[] { Path.Combine(home, ".pyenv", "versions"), "/usr/local/lib", "/usr/lib" })
        {
            if (!Directory.Exists(root)) continue;
            try
            {
                candidates.AddRange(Directory.EnumerateDirectories(root, "botocore", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 5, IgnoreInaccessible = true })
                    .Where(d => File.Exists(Path.Combine(d, "__init__.py")) && Directory.Exists(Path.Combine(d, "data"))));
            }
            catch (IOException) { }
        }
        static Version VersionOf(string folder)
        {
            var match = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(folder, "__init__.py")), @"__version__\s*=\s*'([0-9.]+)'");
            return match.Success && Version.TryParse(match.Groups[1].Value, out var v) ? v : new Version(0, 0);
        }
        return candidates.OrderByDescending(VersionOf).Select(d => Path.Combine(d, "data")).FirstOrDefault() ?? "/usr/lib/python3/dist-packages/botocore/data";
    }

    /// <summary>The ARN of one of this account's resources, in the partition of the region.</summary>
    public string Arn(string service, string resource)
    {
        var partition = Region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : Region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";
        return $"arn:{partition}:{service}:{Region}:{AccountId}:{resource}";
    }
}
