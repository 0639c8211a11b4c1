using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HumanLoop.Durable.DependencyInjection;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// Reads the certificate the link key ring is encrypted with at rest (<see cref="AppSettings.LinkKeyCertificatePath"/>,
/// a PKCS#12 file with its password, or a PEM file holding the certificate and its private key) and the ones older
/// keys were encrypted with, and turns the encryption on. Nothing set: keys are stored unencrypted.
/// </summary>
internal static class LinkKeyCertificates
{
    /// <summary>Encrypts the key ring when the settings name a certificate.</summary>
    /// <param name="humanLoop">The builder that registered the action links.</param>
    /// <param name="configuration">Where the settings are read.</param>
    /// <exception cref="InvalidOperationException">A certificate cannot be read, or has no private key; the message names the setting.</exception>
    public static DurableHumanLoopBuilder ProtectLinkKeys(this DurableHumanLoopBuilder humanLoop, IConfiguration configuration)
    {
        var path = configuration[AppSettings.LinkKeyCertificatePath];
        if (string.IsNullOrWhiteSpace(path))
        {
            return humanLoop;
        }

        var password = configuration[AppSettings.LinkKeyCertificatePassword];
        var current = Load(path.Trim(), password, AppSettings.LinkKeyCertificatePath);
        var previous = (configuration[AppSettings.LinkPreviousKeyCertificatePaths] ?? string.Empty)
            .Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => Load(p, password, AppSettings.LinkPreviousKeyCertificatePaths))
            .ToArray();
        return humanLoop.ProtectLinkKeysWithCertificate(current, previous);
    }

    private static X509Certificate2 Load(string path, string? password, string setting)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
                ? X509Certificate2.CreateFromPemFile(path)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"Setting '{setting}': the certificate '{path}' could not be read: {e.Message}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidOperationException($"Setting '{setting}': the certificate '{path}' has no private key, which reading the encrypted keys needs.");
        }

        return certificate;
    }
}
