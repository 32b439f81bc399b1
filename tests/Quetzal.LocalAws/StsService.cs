using System.Text;
using System.Web;

namespace Quetzal.LocalAws;

/// <summary>
/// STS's GetCallerIdentity (query protocol, XML answers): the one call Terraform's AWS provider makes before a plan
/// (the model's infra reads aws_caller_identity), answered with the stand-in's account.
/// </summary>
internal sealed class StsService(Settings settings)
{
    /// <summary>Whether a request is for STS: the query protocol's form body with an Action.</summary>
    public static bool Handles(HttpRequest request, byte[] body)
        => request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
           && HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body))["Action"] is not null;

    public IResult Handle(byte[] body)
    {
        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body));
        var action = form["Action"];
        if (action != "GetCallerIdentity")
            return Results.Text($"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>{action} is not answered here</Message></Error><RequestId>local</RequestId></ErrorResponse>",
                "text/xml", Encoding.UTF8, 400);
        return Results.Text($"""
            <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <GetCallerIdentityResult>
                <Arn>arn:aws:iam::{settings.AccountId}:user/quetzal-local</Arn>
                <UserId>AIDALOCALQUETZALUSER</UserId>
                <Account>{settings.AccountId}</Account>
              </GetCallerIdentityResult>
              <ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata>
            </GetCallerIdentityResponse>
            """, "text/xml", Encoding.UTF8);
    }
}
