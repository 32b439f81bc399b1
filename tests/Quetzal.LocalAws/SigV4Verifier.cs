using System.Security.Cryptography;
using System.Text;

namespace Quetzal.LocalAws;

/// <summary>
/// Checks AWS Signature Version 4 on a request, written from the specification (not from the SDK that signs),
/// so that a signing mistake on the client side fails here as it would at AWS.
/// </summary>
public sealed class SigV4Verifier(string accessKey, string secretKey)
{
    public sealed record Result(bool Ok, string? ErrorType, string? Message, string? Service, string? Region = null);

    public Result Verify(HttpRequest request, byte[] body)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string algorithm = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(algorithm, StringComparison.Ordinal))
            return new(false, "MissingAuthenticationTokenException", "Missing Authentication Token", null);

        var parts = authorization[algorithm.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
            return new(false, "IncompleteSignatureException", "Authorization header is incomplete", null);
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
            return new(false, "IncompleteSignatureException", "Credential scope is malformed", null);
        var (key, date, region, service) = (scope[0], scope[1], scope[2], scope[3]);
        if (key != accessKey)
            return new(false, "UnrecognizedClientException", "The security token included in the request is invalid.", service);

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var when)
            || Math.Abs((DateTime.UtcNow - when).TotalMinutes) > 15 || !amzDate.StartsWith(date, StringComparison.Ordinal))
            return new(false, "InvalidSignatureException", "Signature expired or X-Amz-Date is missing", service);

        var headerNames = signedHeaders.Split(';');
        if (!headerNames.Contains("host"))
            return new(false, "InvalidSignatureException", "The host header must be signed", service);
        var canonicalHeaders = new StringBuilder();
        foreach (var name in headerNames)
        {
            var value = name == "host" ? request.Host.Value : string.Join(",", request.Headers[name].Select(v => v!.Trim()));
            canonicalHeaders.Append(name).Append(':').Append(CollapseSpaces(value ?? "")).Append('\n');
        }
        var payloadHash = request.Headers["X-Amz-Content-Sha256"].ToString();
        var actualHash = Hex(SHA256.HashData(body));
        if (payloadHash.Length == 0) payloadHash = actualHash;
        else if (payloadHash != "UNSIGNED-PAYLOAD" && payloadHash != actualHash)
            return new(false, "InvalidSignatureException", "The payload hash does not match the body", service);

        var canonicalRequest = string.Join('\n',
            request.Method,
            CanonicalUri(request.Path.ToUriComponent(), service),
            CanonicalQuery(request.QueryString.Value),
            canonicalHeaders.ToString(),
            signedHeaders,
            payloadHash);
        var stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, $"{date}/{region}/{service}/aws4_request", Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date), region), service), "aws4_request");
        var expected = Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? new(true, null, null, service, region)
            : new(false, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", service);
    }

    /// <summary>Outside S3, each segment of the (already encoded) path is encoded once more.</summary>
    private static string CanonicalUri(string path, string service)
    {
        if (string.IsNullOrEmpty(path)) return "/";
        return service == "s3" ? path : string.Join('/', path.Split('/').Select(segment => Encode(segment)));
    }

    private static string CanonicalQuery(string? query)
    {
        if (string.IsNullOrEmpty(query) || query == "?") return "";
        return string.Join('&', query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(p => (Key: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
    }

    private static string Encode(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') text.Append(c);
            else text.Append('%').Append(b.ToString("X2"));
        }
        return text.ToString();
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
