using System.Net.Sockets;
using Amazon.Runtime;
using Docker.DotNet;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Boundary;

/// <summary>
/// The one translation of failures into what a user reads, used by every task (<c>QuetzalTask</c>) and by the
/// SDK's program: a <see cref="QuetzalException"/> is its own diagnostics; an error a service answered (AWS, the
/// registry, the Docker engine) or a service that could not be reached is a 3xxx/4xxx code naming the service, the
/// operation and the service's own message; a cancellation is QTZ9002; anything else is a bug, QTZ9001.
/// </summary>
public static class Failures
{
    /// <param name="where">What was running (a task's name, "the local run"): named in QTZ9001 and QTZ9002.</param>
    /// <param name="cancelled">Whether the user asked to stop: only then is an OperationCanceledException a cancellation.</param>
    public static IReadOnlyList<Diagnostic> Describe(Exception exception, string where, bool cancelled)
    {
        var e = Unwrap(exception);
        return e switch
        {
            QuetzalException coded => coded.Diagnostics,
            OperationCanceledException when cancelled => [Codes.Cancelled.Create(null, where)],
            AwsServiceException aws => [Aws(aws.Service, aws.Operation, aws.Type, aws.AwsMessage)],
            AmazonServiceException s3 => [Aws(ServiceName(s3), $"({(int)s3.StatusCode})", s3.ErrorCode ?? s3.StatusCode.ToString(), s3.Message)],
            RegistryException registry => [Codes.RegistryCallFailed.Create(null, registry.Registry, registry.Status, registry.Operation, registry.Answer)],
            DockerApiException docker => [Codes.DockerEngineFailed.Create(null, $"{(int)docker.StatusCode} {docker.StatusCode}", OneLine(docker.ResponseBody ?? docker.Message))],
            HttpRequestException http => [Codes.ServiceUnreachable.Create(null, Target(http), OneLine(http.GetBaseException().Message))],
            SocketException socket => [Codes.ServiceUnreachable.Create(null, "a service", OneLine(socket.Message))],
            TimeoutException or TaskCanceledException when !cancelled => [Codes.ServiceUnreachable.Create(null, "a service", "it did not answer in time")],
            _ => [Codes.Internal.Create(null, where, OneLine(e.Message).TrimEnd('.'))],
        };
    }

    /// <summary>Whether the failure is a bug of the SDK (QTZ9001): its stack trace is worth logging at low importance.</summary>
    public static bool IsBug(IReadOnlyList<Diagnostic> diagnostics) => diagnostics.Any(d => d.Descriptor == Codes.Internal);

    private static Diagnostic Aws(string service, string operation, string type, string message)
        => ServiceFailures.IsWrongRegion(type, message) ? Codes.WrongRegion.Create(null, type, OneLine(message))
        : ServiceFailures.IsCredentialError(type)
            ? Codes.CredentialsRefused.Create(null, type, message)
            : Codes.AwsCallFailed.Create(null, service, operation, $"{type}: {OneLine(message)}");

    private static string ServiceName(AmazonServiceException e)
        => e.GetType().Namespace is { } ns && ns.StartsWith("Amazon.", StringComparison.Ordinal) ? ns.Split('.')[1].ToUpperInvariant() : "AWS";

    private static string Target(HttpRequestException e)
        => e.Data[ServiceFailures.TargetKey] as string ?? "the service";

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        // The AWS SDK reports an unreachable endpoint as a client exception around the socket's error.
        if (e is AmazonClientException { InnerException: HttpRequestException or SocketException } client) return client.InnerException!;
        return e;
    }

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
