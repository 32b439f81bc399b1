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

    /// <summary>Whether an AWS error code says the credentials were refused (expired, unknown, badly signed).</summary>
    public static bool IsCredentialError(string? code) => code is not null && CredentialErrors.Contains(code);

    /// <summary>The key under which a client notes, on a connection failure, what it was trying to reach.</summary>
    public const string TargetKey = "Quetzal.Target";
}
