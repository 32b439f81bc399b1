namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// What the clients note on a failure for the translation at the boundary (<c>Boundary.Failures</c>) to read: the
/// service they were trying to reach, and which AWS error codes mean refused credentials.
/// </summary>
public static class ServiceFailures
{
    private static readonly HashSet<string> CredentialErrors =
    [
        "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId", "ExpiredToken",
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "AuthFailure",
    ];

    /// <summary>
    /// Whether AWS's answer says the request went to the wrong region, not that the credentials are bad: a signature
    /// scoped to another region ("Credential should be scoped to a valid region"), S3's "the region 'x' is wrong;
    /// expecting 'y'" and its redirect to the bucket's region.
    /// </summary>
    public static bool IsWrongRegion(string? code, string? message)
        => code is "PermanentRedirect" or "IllegalLocationConstraintException"
           || (message ?? "").Contains("scoped to a valid region", StringComparison.OrdinalIgnoreCase)
           || (code is "AuthorizationHeaderMalformed" or "InvalidSignatureException" or "SignatureDoesNotMatch" or "InvalidRequest"
               && System.Text.RegularExpressions.Regex.IsMatch(message ?? "", @"region '[^']*' is wrong|expecting '[a-z]{2}(-gov)?-[a-z]+-\d'"));

    /// <summary>Whether an AWS error code says the credentials were refused (expired, unknown, badly signed).</summary>
    public static bool IsCredentialError(string? code) => code is not null && CredentialErrors.Contains(code);

    /// <summary>The key under which a client notes, on a connection failure, what it was trying to reach.</summary>
    public const string TargetKey = "Quetzal.Target";
}
