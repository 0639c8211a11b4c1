using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HumanLoop.Testing;

/// <summary>
/// A self-signed server certificate made for one test (RSA 2048, for <see cref="HostName"/>, <c>localhost</c> and
/// 127.0.0.1), written to a temporary folder as the app's settings name it, and trusted only by the clients made here:
/// nothing is added to any certificate store. Shared by the test projects (HTTPS for the app, TLS for the SMTP server).
/// </summary>
internal sealed class TestCertificate : IDisposable
{
    /// <summary>A host name that is not loopback (HSTS is never sent for localhost); the clients connect it to 127.0.0.1.</summary>
    public const string HostName = "humanloop.test";

    private TestCertificate(X509Certificate2 certificate, string folder)
    {
        Certificate = certificate;
        Folder = folder;
    }

    /// <summary>The certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Where its files are written; deleted on dispose.</summary>
    public string Folder { get; }

    /// <summary>The certificate's SHA-256 fingerprint, as 64 upper-case hex digits.</summary>
    public string Sha256Thumbprint => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    public static TestCertificate Create(string subject = HostName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(subject);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = TimeProvider.System.GetUtcNow();
        var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        var folder = Path.Combine(Path.GetTempPath(), "humanloop-cert-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return new TestCertificate(certificate, folder);
    }

    /// <summary>Writes the certificate and key as a PKCS#12 file protected by <paramref name="password"/>.</summary>
    public string WritePfx(string password)
    {
        var path = Path.Combine(Folder, "server.pfx");
        File.WriteAllBytes(path, Certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>Writes the certificate and its key as PEM files (the key unencrypted).</summary>
    public (string CertificatePath, string KeyPath) WritePem()
    {
        var certificatePath = Path.Combine(Folder, "server.crt");
        var keyPath = Path.Combine(Folder, "server.key");
        File.WriteAllText(certificatePath, Certificate.ExportCertificatePem());
        using var key = Certificate.GetRSAPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    /// <summary>
    /// Whether <paramref name="presented"/> is this certificate and names the host asked for: the only error allowed is
    /// the untrusted (self-signed) chain.
    /// </summary>
    public bool IsPresented(X509Certificate? presented, SslPolicyErrors errors) =>
        presented is not null
        && presented.GetCertHash().AsSpan().SequenceEqual(Certificate.GetCertHash())
        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;

    /// <summary>
    /// A handler that trusts only this certificate, sends any host name (such as <see cref="HostName"/>) to 127.0.0.1 on
    /// the URL's port, keeps cookies in <paramref name="cookies"/>, and does not follow redirects.
    /// </summary>
    public SocketsHttpHandler CreateHandler(CookieContainer? cookies = null) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = cookies is not null,
        CookieContainer = cookies ?? new CookieContainer(),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, presented, _, errors) => IsPresented(presented, errors) },
        ConnectCallback = ConnectToLoopbackAsync,
    };

    public void Dispose()
    {
        Certificate.Dispose();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    private static async ValueTask<Stream> ConnectToLoopbackAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
