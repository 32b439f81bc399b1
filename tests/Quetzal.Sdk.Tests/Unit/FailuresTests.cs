using Quetzal.Sdk.Boundary;
using System.Net;
using Amazon.S3;
using Docker.DotNet;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>The one translation of failures into codes, as every task and the local run report them.</summary>
public sealed class FailuresTests
{
    private static Diagnostic One(Exception e, bool cancelled = false) => Assert.Single(Failures.Describe(e, "PublishQuetzalModel", cancelled));

    [Fact]
    public void A_coded_failure_is_its_own_diagnostics_all_of_them()
    {
        var both = new QuetzalException([Codes.RepositoryMissing.Create(null, "m"), Codes.BucketMissing.Create(null, "m")]);
        Assert.Equal(["QTZ4010", "QTZ4030"], Failures.Describe(both, "t", false).Select(d => d.Code));
    }

    [Fact]
    public void An_error_aws_answered_names_the_service_the_operation_and_its_message()
    {
        var d = One(new AwsServiceException("lambda", "UpdateFunctionCode", 400, "InvalidParameterValueException", "Source image does not exist."));
        Assert.Equal("QTZ4004", d.Code);
        Assert.Equal("lambda UpdateFunctionCode failed: InvalidParameterValueException: Source image does not exist.", d.Message);
        Assert.Equal("QTZ4002", One(new AwsServiceException("states", "DescribeStateMachine", 400, "ExpiredTokenException", "expired")).Code);
    }

    [Theory]
    [InlineData("lambda", "InvalidSignatureException", "Credential should be scoped to a valid region: 'ca-central-1'.")]
    [InlineData("s3", "AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'ca-central-1'")]
    [InlineData("s3", "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")]
    public void A_model_in_another_region_than_its_stack_is_told_to_set_the_region_not_to_log_in_again(string service, string type, string message)
    {
        var d = One(new AwsServiceException(service, "GetFunction", 403, type, message));
        Assert.Equal("QTZ4006", d.Code);
        Assert.Contains("wrong region", d.Message);
        Assert.Contains("QuetzalAwsRegion", d.Message);
        Assert.DoesNotContain("sso login", d.Message);
        // Credentials that really are refused keep their own code.
        Assert.Equal("QTZ4002", One(new AwsServiceException(service, "GetFunction", 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")).Code);
    }

    [Fact]
    public void An_s3_error_and_refused_s3_credentials_have_their_codes()
    {
        var d = One(new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden });
        Assert.Equal("QTZ4004", d.Code);
        Assert.Contains("S3", d.Message);
        Assert.Contains("AccessDenied: Access Denied", d.Message);
        Assert.Equal("QTZ4002", One(new AmazonS3Exception("bad key") { ErrorCode = "InvalidAccessKeyId", StatusCode = HttpStatusCode.Forbidden }).Code);
    }

    [Fact]
    public void Registry_engine_and_connection_failures_have_their_codes()
    {
        Assert.Equal("QTZ3007", One(new RegistryException("127.0.0.1:5001", "HEAD m:q-1", "401 Unauthorized", "")).Code);
        Assert.Equal("QTZ3008", One(new DockerApiException(HttpStatusCode.InternalServerError, "no space left on device")).Code);
        var refused = new HttpRequestException("Connection refused (127.0.0.1:9)");
        refused.Data["Quetzal.Target"] = "lambda GetFunction at http://127.0.0.1:9";
        var d = One(refused);
        Assert.Equal("QTZ4005", d.Code);
        Assert.StartsWith("Could not reach lambda GetFunction at http://127.0.0.1:9: Connection refused", d.Message);
    }

    [Fact]
    public void A_cancellation_the_user_asked_for_is_QTZ9002_and_anything_else_is_a_bug()
    {
        Assert.Equal("QTZ9002", One(new OperationCanceledException(), cancelled: true).Code);
        var bug = Failures.Describe(new NullReferenceException("Object reference not set"), "PublishQuetzalModel", false);
        Assert.True(Failures.IsBug(bug));
        Assert.Equal("Quetzal.Sdk failed unexpectedly in PublishQuetzalModel: Object reference not set. Please report it with the build log (-v:diag shows the details).", Assert.Single(bug).Message);
        Assert.False(Failures.IsBug(Failures.Describe(new AggregateException(new QuetzalException(Codes.BucketMissing, "m")), "t", false)));
    }
}
