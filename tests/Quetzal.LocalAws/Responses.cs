using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Quetzal.LocalAws;

internal enum Protocol { Json, Rest }

/// <summary>An error in AWS's shape: the HTTP status, the error type (code) and the message.</summary>
internal sealed class AwsError(int status, string type, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
}

/// <summary>AWS's answers: JSON bodies, and errors as JSON 1.x (<c>__type</c>) or REST-JSON (<c>x-amzn-ErrorType</c>) say them.</summary>
internal static class Responses
{
    public static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/x-amz-json-1.1");

    public static IResult Error(Protocol protocol, int status, string type, string message)
        => protocol == Protocol.Rest
            ? new ErrorResult(status, new JsonObject { ["Type"] = "User", ["Message"] = message, ["message"] = message }, type)
            : new ErrorResult(status, new JsonObject { ["__type"] = type, ["message"] = message }, null);

    private sealed class ErrorResult(int status, JsonObject body, string? errorType) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            if (errorType is not null) http.Response.Headers["x-amzn-ErrorType"] = errorType;
            http.Response.ContentType = "application/x-amz-json-1.1";
            return http.Response.WriteAsync(body.ToJsonString());
        }
    }
}

/// <summary>How many times each operation was called: the tests count writes here.</summary>
internal sealed class Stats
{
    public ConcurrentDictionary<string, int> Counts { get; } = new();

    public void Count(string operation) => Counts.AddOrUpdate(operation, 1, (_, n) => n + 1);
}
