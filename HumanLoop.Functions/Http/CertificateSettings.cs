using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HumanLoop.Functions.Http;

/// <summary>
/// Checks Kestrel's certificate settings before the server starts, so a missing file, a wrong password or a certificate
/// without its private key stops start-up with a message naming the setting instead of a stack trace from Kestrel.
/// It reads the same keys Kestrel reads: <c>Kestrel:Certificates:Default</c> (and <c>Development</c>) and
/// <c>Kestrel:Endpoints:{name}:Certificate</c>, each with <c>Path</c> (a PKCS#12 file, or a PEM certificate with
/// <c>KeyPath</c>), <c>KeyPath</c> and <c>Password</c> (of the PKCS#12 file, or of an encrypted PEM key). Relative paths
/// are relative to the content root, as Kestrel resolves them. Store certificates (<c>Subject</c>) are left to Kestrel.
/// </summary>
internal static class CertificateSettings
{
    /// <summary>The configuration section of the default certificate.</summary>
    public const string DefaultCertificate = "Kestrel:Certificates:Default";

    /// <summary>Whether a default certificate is configured (a file or a store certificate).</summary>
    /// <param name="configuration">The app's configuration.</param>
    public static bool HasDefaultCertificate(IConfiguration configuration)
    {
        var section = configuration.GetSection(DefaultCertificate);
        return !string.IsNullOrWhiteSpace(section["Path"]) || !string.IsNullOrWhiteSpace(section["Subject"]);
    }

    /// <summary>Loads every configured certificate file once, as Kestrel will, and throws on the first that does not load.</summary>
    /// <param name="configuration">The app's configuration.</param>
    /// <param name="contentRoot">The directory relative paths start from.</param>
    /// <exception cref="InvalidOperationException">A certificate or key file is missing, does not read, the password does not open it, or it has no private key.</exception>
    public static void Validate(IConfiguration configuration, string contentRoot)
    {
        foreach (var section in configuration.GetSection("Kestrel:Certificates").GetChildren())
        {
            Check(section, contentRoot);
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            Check(endpoint.GetSection("Certificate"), contentRoot);
        }
    }

    private static void Check(IConfigurationSection section, string contentRoot)
    {
        var path = section["Path"];
        if (string.IsNullOrWhiteSpace(path))
        {
            if (!string.IsNullOrWhiteSpace(section["KeyPath"]))
            {
                throw new InvalidOperationException($"Setting '{section.Path}:KeyPath' is set but '{section.Path}:Path' (the certificate file) is not.");
            }

            return;
        }

        var certificatePath = Resolve(section, "Path", contentRoot);
        var keyPath = string.IsNullOrWhiteSpace(section["KeyPath"]) ? null : Resolve(section, "KeyPath", contentRoot);
        var password = section["Password"];
        using var certificate = Load(section.Path, certificatePath, keyPath, password);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException(
                $"The certificate '{certificatePath}' ({section.Path}:Path) has no private key: give a PKCS#12 (.pfx) file that holds it, or the PEM key file in '{section.Path}:KeyPath'.");
        }
    }

    private static string Resolve(IConfigurationSection section, string key, string contentRoot)
    {
        var path = Path.GetFullPath(Path.Combine(contentRoot, section[key]!.Trim()));
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Setting '{section.Path}:{key}' names '{path}', which does not exist.");
        }

        return path;
    }

    private static X509Certificate2 Load(string setting, string certificatePath, string? keyPath, string? password)
    {
        try
        {
            if (keyPath is not null)
            {
                return string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
            }

            return X509Certificate2.GetCertContentType(certificatePath) == X509ContentType.Pkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password)
                : X509CertificateLoader.LoadCertificateFromFile(certificatePath);
        }
        catch (CryptographicException e) when ((keyPath is null && !string.IsNullOrEmpty(password)) || IsPasswordProblem(e))
        {
            throw new InvalidOperationException(
                $"The certificate '{certificatePath}' ({setting}:Path) could not be opened with the password in '{setting}:Password': {e.Message}", e);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            var what = keyPath is null ? $"'{certificatePath}' ({setting}:Path)" : $"'{certificatePath}' with the key '{keyPath}' ({setting}:Path, {setting}:KeyPath)";
            throw new InvalidOperationException($"The certificate {what} could not be read: {e.Message}", e);
        }
    }

    // A PKCS#12 file opened without its password, or an encrypted PEM key without one, fails with a password message.
    private static bool IsPasswordProblem(CryptographicException e) =>
        e.Message.Contains("password", StringComparison.OrdinalIgnoreCase);
}
