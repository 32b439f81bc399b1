using Quetzal.Sdk.Boundary;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class AwsHttpClientTests
{
    private sealed class Scripted(params Func<HttpRequestMessage, HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(answers[Math.Min(Requests.Count - 1, answers.Length - 1)](request));
        }
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, string? errorType = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (errorType is not null) response.Headers.Add("x-amzn-ErrorType", errorType);
        return response;
    }

    private static readonly AwsSettings Settings = new("ca-central-1", null, name => name == "AWS_ENDPOINT_URL" ? "http://127.0.0.1:9" : null,
        new BasicAWSCredentials("AKIDEXAMPLE", "secret-that-must-not-leak"));

    private static AwsHttpClient Client(Scripted handler) => new(Settings, AwsService.Ecr, handler) { BaseDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task Server_errors_and_throttling_are_retried_until_an_answer_comes()
    {
        var handler = new Scripted(
            _ => Answer(HttpStatusCode.ServiceUnavailable, "{}"),
            _ => Answer(HttpStatusCode.BadRequest, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"),
            _ => Answer(HttpStatusCode.TooManyRequests, "{}"),
            _ => Answer(HttpStatusCode.OK, "{\"ok\":true}"));
        using var client = Client(handler);
        var result = await client.PostTargetAsync("AmazonEC2ContainerRegistry_V20150921", "GetAuthorizationToken", new JsonObject(), "1.1", default);
        Assert.True((bool)result["ok"]!);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Fact]
    public async Task An_empty_success_is_no_answer_and_is_sent_again_but_204_is_one()
    {
        // What a proxy or a connection that fails half-way can hand over: 200 and nothing.
        var handler = new Scripted(_ => Answer(HttpStatusCode.OK, ""), _ => Answer(HttpStatusCode.OK, "{\"definition\":\"{}\"}"));
        using var client = Client(handler);
        var result = await client.PostTargetAsync("AWSStepFunctions", "DescribeStateMachine", new JsonObject(), "1.0", default);
        Assert.Equal("{}", (string?)result["definition"]);
        Assert.Equal(2, handler.Requests.Count);

        var always = new Scripted(_ => Answer(HttpStatusCode.OK, ""));
        using var failing = Client(always);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => failing.PostTargetAsync("AWSStepFunctions", "DescribeStateMachine", new JsonObject(), "1.0", default));
        Assert.Equal("EmptyResponse", error.Type);
        Assert.Equal(failing.MaxAttempts, always.Requests.Count);

        var deleted = new Scripted(_ => new HttpResponseMessage(HttpStatusCode.NoContent));
        using var lambda = new AwsHttpClient(Settings, AwsService.Lambda, deleted) { BaseDelay = TimeSpan.FromMilliseconds(1) };
        Assert.NotNull(await lambda.RestAsync("DeleteFunction", HttpMethod.Delete, "/2015-03-31/functions/f", null, default));
        Assert.Single(deleted.Requests);
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_keeps_the_aws_type_and_message()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.BadRequest, "{\"__type\":\"com.amazonaws.ecr#RepositoryNotFoundException\",\"message\":\"no repo\"}"));
        using var client = Client(handler);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.PostTargetAsync("AmazonEC2ContainerRegistry_V20150921", "DescribeRepositories", new JsonObject(), "1.1", default));
        Assert.Single(handler.Requests);
        Assert.Equal("RepositoryNotFoundException", error.Type);
        Assert.Equal("no repo", error.AwsMessage);
    }

    [Fact]
    public async Task Persistent_server_errors_give_up_after_the_last_attempt()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.InternalServerError, "{}"));
        using var client = Client(handler);
        await Assert.ThrowsAsync<AwsServiceException>(() => client.RestAsync("GetFunction", HttpMethod.Get, "/2015-03-31/functions/x", null, default));
        Assert.Equal(6, handler.Requests.Count);
    }

    [Fact]
    public async Task Refused_credentials_become_the_credentials_error()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.Forbidden, "{\"__type\":\"UnrecognizedClientException\",\"message\":\"The security token included in the request is invalid.\"}"));
        using var client = Client(handler);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.PostTargetAsync("AWSStepFunctions", "ListStateMachines", new JsonObject(), "1.0", default));
        Assert.Equal("QTZ4002", Assert.Single(Failures.Describe(error, "test", cancelled: false)).Code);
    }

    [Fact]
    public async Task Requests_are_signed_and_carry_no_secret()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.OK, "{}"));
        using var client = Client(handler);
        await client.RestAsync("GetFunction", HttpMethod.Get, "/2015-03-31/functions/my-model", null, default);
        var request = handler.Requests.Single();
        var authorization = request.Headers.GetValues("Authorization").Single();
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", authorization);
        Assert.Contains("/ca-central-1/ecr/aws4_request", authorization);
        Assert.DoesNotContain("secret-that-must-not-leak", request.Headers.ToString() + request.Content!.Headers);
        Assert.Equal("http://127.0.0.1:9/2015-03-31/functions/my-model", request.RequestUri!.ToString());
    }

    [Fact]
    public void Endpoints_follow_the_sdk_variables_service_first()
    {
        var settings = new AwsSettings("eu-west-3", null, name => name switch
        {
            "AWS_ENDPOINT_URL_SFN" => "http://localhost:4566",
            "AWS_ENDPOINT_URL" => "http://localhost:9999",
            _ => null,
        });
        Assert.Equal("http://localhost:4566/", settings.Endpoint(AwsService.StepFunctions).ToString());
        Assert.Equal("http://localhost:9999/", settings.Endpoint(AwsService.Lambda).ToString());
        Assert.Equal("https://lambda.eu-west-3.amazonaws.com/", new AwsSettings("eu-west-3", null, _ => null).Endpoint(AwsService.Lambda).ToString());
        var bad = new AwsSettings("eu-west-3", null, name => name == "AWS_ENDPOINT_URL_S3" ? "not a url" : null);
        Assert.Equal("QTZ4003", Assert.Throws<QuetzalException>(() => bad.Endpoint(AwsService.S3)).Diagnostic.Code);
    }

    [Theory]
    [InlineData(400, "ThrottlingException")]
    [InlineData(400, "ThrottledException")]
    [InlineData(400, "RequestThrottledException")]
    [InlineData(400, "ProvisionedThroughputExceededException")]
    [InlineData(400, "TransactionInProgressException")]
    [InlineData(400, "RequestLimitExceeded")]
    [InlineData(400, "BandwidthLimitExceeded")]
    [InlineData(400, "LimitExceededException")]
    [InlineData(400, "RequestThrottled")]
    [InlineData(503, "SlowDown")]
    [InlineData(400, "PriorRequestNotComplete")]
    [InlineData(400, "EC2ThrottledException")]
    [InlineData(408, "RequestTimeout")]
    [InlineData(400, "RequestTimeoutException")]
    [InlineData(429, "TooManyRequestsException")]
    [InlineData(500, "InternalFailure")]
    [InlineData(502, "BadGateway")]
    [InlineData(504, "GatewayTimeout")]
    public async Task What_the_standard_retry_mode_retries_is_retried(int status, string code)
    {
        var handler = new Scripted(_ => Answer((HttpStatusCode)status, $"{{\"__type\":\"{code}\",\"message\":\"m\"}}"), _ => Answer(HttpStatusCode.OK, "{\"ok\":true}"));
        using var client = Client(handler);
        Assert.True((bool)(await client.PostTargetAsync("AWSStepFunctions", "DescribeStateMachine", new JsonObject(), "1.0", default))["ok"]!);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(400, "ValidationException")]
    [InlineData(409, "ResourceConflictException")]
    [InlineData(501, "NotImplemented")]
    [InlineData(404, "ResourceNotFoundException")]
    public async Task What_it_does_not_retry_is_the_answer(int status, string code)
    {
        var handler = new Scripted(_ => Answer((HttpStatusCode)status, $"{{\"__type\":\"{code}\",\"message\":\"m\"}}"));
        using var client = Client(handler);
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.PostTargetAsync("AWSStepFunctions", "DescribeStateMachine", new JsonObject(), "1.0", default));
        Assert.Equal(code, error.Type);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Retry_after_is_honoured_and_backoff_is_jittered_under_twenty_seconds()
    {
        var waits = new List<TimeSpan>();
        var handler = new Scripted(
            _ => { var r = Answer(HttpStatusCode.TooManyRequests, "{}"); r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3)); return r; },
            _ => Answer(HttpStatusCode.ServiceUnavailable, "{}"),
            _ => Answer(HttpStatusCode.OK, "{}"));
        using var client = new AwsHttpClient(Settings, AwsService.Ecr, handler) { BaseDelay = TimeSpan.FromSeconds(30), Delay = (w, _) => { waits.Add(w); return Task.CompletedTask; } };
        await client.PostTargetAsync("AmazonEC2ContainerRegistry_V20150921", "GetAuthorizationToken", new JsonObject(), "1.1", default);
        Assert.Equal(TimeSpan.FromSeconds(3), waits[0]);
        Assert.InRange(waits[1], TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.All(Enumerable.Range(1, 10).Select(a => RetryRules.Backoff(a, TimeSpan.FromSeconds(1))), w => Assert.InRange(w, TimeSpan.Zero, TimeSpan.FromSeconds(20)));
    }
}
