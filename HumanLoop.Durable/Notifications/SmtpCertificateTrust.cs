using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// The SMTP server's certificate check when <see cref="EmailOptions.TrustedCertificateThumbprint"/> is set: a certificate
/// the system trusts passes as always; one whose only fault is its chain (self-signed, or from a private authority)
/// passes when its SHA-256 fingerprint is the configured one. A name mismatch or any other fault still fails.
/// </summary>
internal static class SmtpCertificateTrust
{
    /// <summary>Reads a SHA-256 fingerprint: 64 hex digits, in either case, with colons or spaces between them allowed.</summary>
    /// <param name="text">The configured fingerprint.</param>
    /// <param name="thumbprint">The 32 bytes, when it reads.</param>
    public static bool TryParse(string? text, out byte[] thumbprint)
    {
        thumbprint = [];
        if (text is null)
        {
            return false;
        }

        var digits = text.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (digits.Length != SHA256.HashSizeInBytes * 2 || !digits.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        thumbprint = Convert.FromHexString(digits);
        return true;
    }

    /// <summary>Whether the presented certificate is accepted.</summary>
    /// <param name="certificate">The server's certificate.</param>
    /// <param name="errors">What the platform's validation found.</param>
    /// <param name="thumbprint">The trusted fingerprint (32 bytes).</param>
    public static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, byte[] thumbprint) =>
        errors == SslPolicyErrors.None
        || (errors == SslPolicyErrors.RemoteCertificateChainErrors
            && certificate is not null
            && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), thumbprint));
}
