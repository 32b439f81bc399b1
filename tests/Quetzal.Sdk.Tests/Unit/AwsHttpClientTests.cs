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
}
