using Amazon.S3;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>
/// Every client a publish or a teardown talks to, behind the interfaces named like the official AWS SDK clients (and
/// the registry's and Docker engine's own), so that the publish pipeline's decisions are tested with in-memory fakes
/// and an official client package can replace a hand-written one here, in one place.
/// </summary>
public interface IAwsClients : IDisposable
{
    string Region { get; }
    IAmazonECR Ecr { get; }
    IAmazonLambda Lambda { get; }
    IAmazonStepFunctions StepFunctions { get; }
    IAmazonECS Ecs { get; }
    IAmazonS3 S3 { get; }
    S3Profile S3Profile { get; }
    IImageEngine Engine { get; }
    IImageRegistry Registry(RegistryCredentials login);
}

/// <summary>The real clients, each made on first use from the settings (credentials, region, endpoints).</summary>
public sealed class AwsClients(AwsSettings settings, IPublishLog log) : IAwsClients
{
    private readonly Lazy<EcrClient> _ecr = new(() => new EcrClient(settings));
    private readonly Lazy<LambdaClient> _lambda = new(() => new LambdaClient(settings));
    private readonly Lazy<StepFunctionsClient> _sfn = new(() => new StepFunctionsClient(settings));
    private readonly Lazy<EcsClient> _ecs = new(() => new EcsClient(settings));
    private readonly Lazy<AmazonS3Client> _s3 = new(() => S3Clients.Create(settings));
    private readonly Lazy<ImageBuilder> _engine = new(() => new ImageBuilder(log));

    public string Region => settings.Region;
    public IAmazonECR Ecr => _ecr.Value;
    public IAmazonLambda Lambda => _lambda.Value;
    public IAmazonStepFunctions StepFunctions => _sfn.Value;
    public IAmazonECS Ecs => _ecs.Value;
    public IAmazonS3 S3 => _s3.Value;
    public S3Profile S3Profile { get; } = S3Profile.For(settings);
    public IImageEngine Engine => _engine.Value;
    public IImageRegistry Registry(RegistryCredentials login) => new RegistryClient(login);

    public void Dispose()
    {
        if (_ecr.IsValueCreated) _ecr.Value.Dispose();
        if (_lambda.IsValueCreated) _lambda.Value.Dispose();
        if (_sfn.IsValueCreated) _sfn.Value.Dispose();
        if (_ecs.IsValueCreated) _ecs.Value.Dispose();
        if (_s3.IsValueCreated) _s3.Value.Dispose();
        if (_engine.IsValueCreated) _engine.Value.Dispose();
    }
}
