using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime.Signing;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Aws;

/// <summary>An error AWS answered, after retries; <see cref="Failures"/> turns it into the code a user reads.</summary>
public sealed class AwsServiceException(string service, string operation, int status, string type, string message)
    : Exception($"{type}: {message}")
{
    public string Service { get; } = service;
    public string Operation { get; } = operation;
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string AwsMessage { get; } = message;
}

/// <summary>
/// Which errors are worth sending again, as the AWS SDKs' standard retry mode classifies them: throttling (the
/// codes below, and HTTP 429), transient faults (the codes below, 500, 502, 503, 504, dropped connections and
/// time-outs); anything else is the answer.
/// </summary>
public static class RetryRules
{
    public static readonly IReadOnlySet<string> Throttling = new HashSet<string>(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    };

    public static readonly IReadOnlySet<string> Transient = new HashSet<string>(StringComparer.Ordinal)
    {
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    };

    private static readonly HashSet<int> TransientStatus = [500, 502, 503, 504];

    public static bool IsRetryable(int status, string errorCode)
        => status == 429 || TransientStatus.Contains(status) || Throttling.Contains(errorCode) || Transient.Contains(errorCode);

    /// <summary>The standard mode's delay before attempt <paramref name="attempt"/>+1: full jitter on an exponential base, at most 20 s.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay)
        => TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Min(20_000, baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1)));

    /// <summary>What a Retry-After header asks for (seconds or a date), at most 20 s; null without one.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return wait is { } w ? TimeSpan.FromTicks(Math.Clamp(w.Ticks, 0, TimeSpan.FromSeconds(20).Ticks)) : null;
    }
}

/// <summary>
/// Signed requests to the AWS services that have no official client package here (ECR, Lambda, Step Functions):
/// SigV4 by AWSSDK.Core's public signer, retries with exponential backoff and jitter on throttling, 5xx and
/// dropped connections, and AWS's error shapes (JSON <c>__type</c>, or the <c>x-amzn-ErrorType</c> header).
/// </summary>
public sealed class AwsHttpClient(AwsSettings settings, AwsService service, HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(100) };
    private readonly Uri _endpoint = settings.Endpoint(service);

    public int MaxAttempts { get; init; } = 6;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How a wait between attempts is spent (tests record them instead).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    /// <summary>JSON 1.0/1.1 protocol (ECR, Step Functions): POST / with X-Amz-Target.</summary>
    public Task<JsonObject> PostTargetAsync(string targetPrefix, string operation, JsonObject input, string jsonVersion, CancellationToken cancellation)
        => SendAsync(operation, HttpMethod.Post, "/", input, new Dictionary<string, string>
        {
            ["X-Amz-Target"] = $"{targetPrefix}.{operation}",
            ["Content-Type"] = $"application/x-amz-json-{jsonVersion}",
        }, cancellation)!;

    /// <summary>REST-JSON protocol (Lambda). Returns null for 404 when <paramref name="notFoundIsNull"/>.</summary>
    public async Task<JsonObject?> RestAsync(string operation, HttpMethod method, string path, JsonObject? input, CancellationToken cancellation, bool notFoundIsNull = false)
    {
        try
        {
            return await SendAsync(operation, method, path, input, new Dictionary<string, string> { ["Content-Type"] = "application/json" }, cancellation);
        }
        catch (AwsServiceException e) when (notFoundIsNull && e.Status == 404)
        {
            return null;
        }
    }

    private async Task<JsonObject> SendAsync(string operation, HttpMethod method, string path, JsonObject? input, Dictionary<string, string> headers, CancellationToken cancellation)
    {
        var body = input is null ? [] : Encoding.UTF8.GetBytes(input.ToJsonString());
        var uri = new Uri(_endpoint, _endpoint.AbsolutePath.TrimEnd('/') + path);
        for (var attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            HttpResponseMessage response;
            try
            {
                using var request = Sign(method, uri, body, headers);
                response = await _http.SendAsync(request, cancellation);
            }
            catch (HttpRequestException e) when (attempt < MaxAttempts)
            {
                await Backoff(attempt, cancellation);
                _ = e;
                continue;
            }
            catch (HttpRequestException e)
            {
                // Said by the error boundary as "could not reach" this operation's endpoint.
                e.Data[ServiceFailures.TargetKey] = $"{service.SigningName} {operation} at {uri.GetLeftPart(UriPartial.Authority)}";
                throw;
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested && attempt < MaxAttempts)
            {
                await Backoff(attempt, cancellation);
                continue;
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellation);
                // Every operation the SDK calls answers a JSON body, except with 204 (No Content): an empty success is
                // a connection or a proxy that failed mid-way, never an answer, and is sent again.
                if (response.IsSuccessStatusCode && text.Length == 0 && response.StatusCode != HttpStatusCode.NoContent)
                {
                    if (attempt < MaxAttempts)
                    {
                        await Backoff(attempt, cancellation);
                        continue;
                    }
                    throw new AwsServiceException(service.SigningName, operation, (int)response.StatusCode, "EmptyResponse", $"{uri.GetLeftPart(UriPartial.Authority)} answered {(int)response.StatusCode} with no body");
                }
                if (response.IsSuccessStatusCode)
                    return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)?.AsObject() ?? new JsonObject();

                var (type, message) = Error(response, text);
                var status = (int)response.StatusCode;
                if (RetryRules.IsRetryable(status, type) && attempt < MaxAttempts)
                {
                    await Delay(RetryRules.RetryAfter(response) ?? RetryRules.Backoff(attempt, BaseDelay), cancellation);
                    continue;
                }
                throw new AwsServiceException(service.SigningName, operation, status, type, message);
            }
        }
    }

    private HttpRequestMessage Sign(HttpMethod method, Uri uri, byte[] body, Dictionary<string, string> headers)
    {
        var signing = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = body };
        foreach (var (name, value) in headers) signing.Headers[name] = value;
        var credentials = settings.Credentials();
        var signed = AWSSigV4Signer.Sign(signing, new AWSSigV4Parameters
        {
            Credentials = credentials, Region = settings.RegionEndpoint, Service = service.SigningName, SignPayload = true,
        });
        var request = new HttpRequestMessage(method, uri) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in signing.Headers.Concat(signed.Headers))
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            else if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    private static (string Type, string Message) Error(HttpResponseMessage response, string text)
    {
        JsonObject? body = null;
        try { body = JsonNode.Parse(text) as JsonObject; } catch (System.Text.Json.JsonException) { }
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First()
            : (string?)body?["__type"] ?? (string?)body?["code"] ?? response.StatusCode.ToString();
        type = type.Split(':')[0];
        type = type[(type.LastIndexOf('#') + 1)..];
        var message = (string?)body?["message"] ?? (string?)body?["Message"] ?? text;
        return (type, message);
    }

    private Task Backoff(int attempt, CancellationToken cancellation) => Delay(RetryRules.Backoff(attempt, BaseDelay), cancellation);

    public void Dispose() => _http.Dispose();
}
