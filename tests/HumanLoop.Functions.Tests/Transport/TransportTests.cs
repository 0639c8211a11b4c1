using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Pages;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Pages;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Transport;

/// <summary>
/// The self-hosted app over TLS with a certificate the test made (Kestrel's certificate settings, PKCS#12 and PEM),
/// HTTPS redirection and HSTS when turned on, Secure cookies, the WebSocket upgrade over TLS, plain http without a
/// certificate, and bad certificate settings refused at start.
/// </summary>
public sealed class TransportTests(TransportFixture fixture, ITestOutputHelper output) : IClassFixture<TransportFixture>
{
    private const string Password = "test-pfx-password";

    [Fact]
    public async Task Serve_DefaultCertificateAndNoUrls_ServesHttpsOnThePortWithSecureCookies()
    {
        using var timeout = TestTimeout.Start(180);
        var (started, port) = await fixture.StartAppOnFreePortAsync(port => new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:humanLoop:port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Kestrel:Certificates:Default:Path"] = fixture.Certificate.WritePfx(Password),
            ["Kestrel:Certificates:Default:Password"] = Password,
            ["HumanLoop:Auth:DevelopmentSignIn"] = "true",
        }, timeout.Token);
        await using var app = started;

        Assert.Equal($"https://localhost:{port}", Assert.Single(app.Urls));
        var cookies = new CookieContainer();
        using var client = new HttpClient(fixture.Certificate.CreateHandler(cookies)) { BaseAddress = new Uri($"https://{TestCertificate.HostName}:{port}") };

        // The API and the engine behind it, over TLS.
        var id = await client.StartTravelAsync(timeout.Token);
        Assert.StartsWith($"{id}:choose_mode:", await client.WaitForOpenRequestAsync(id, timeout.Token), StringComparison.Ordinal);
        using var openApi = await client.GetAsync("/openapi/v1.json", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        Assert.False(openApi.Headers.Contains("Strict-Transport-Security"), "HSTS is off unless its setting is on.");

        // Every cookie the pages set is Secure (and stays HttpOnly, SameSite=Strict).
        using var page = await client.GetAsync("/signin/dev", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertSecureCookie(page, HumanLoopPages.AntiforgeryCookieName);
        var html = await page.Content.ReadAsStringAsync(timeout.Token);
        using var signIn = await client.PostAsync("/signin/dev", new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", LinkPagesFixture.AntiforgeryToken(html)), new("user", "alice"), new("roles", "editor"), new("returnUrl", "/inbox"),
        ]), timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        AssertSecureCookie(signIn, DevelopmentSignIn.CookieName);
        using var inbox = await client.GetAsync("/inbox", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
    }

    [Fact]
    public async Task WebSocketHandshake_OverTls_ReachesTheAppThroughTheTestCertificate()
    {
        using var timeout = TestTimeout.Start(180);
        await using var app = await fixture.StartAppAsync(["--urls", "https://127.0.0.1:0"], new Dictionary<string, string?>
        {
            ["Kestrel:Certificates:Default:Path"] = fixture.Certificate.WritePfx(Password),
            ["Kestrel:Certificates:Default:Password"] = Password,
        }, timeout.Token);
        var port = new Uri(Assert.Single(app.Urls)).Port;

        // No WebSocket route exists in this app yet: the upgrade request travels over TLS and the app answers it with
        // its 404 problem, which proves the wss transport (TLS, then an HTTP/1.1 upgrade request) end to end.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var presented = false;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TestCertificate.HostName,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => presented = fixture.Certificate.IsPresented(certificate, errors),
        }, timeout.Token);
        Assert.True(presented);
        Assert.True(tls.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, $"{tls.SslProtocol}");

        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var handshake = $"GET /no/such/websocket HTTP/1.1\r\nHost: {TestCertificate.HostName}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{TestCertificate.HostName}:{port}\r\n\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(handshake), timeout.Token);
        var head = await ReadHeadAsync(tls, timeout.Token);
        output.WriteLine(head);

        Assert.StartsWith("HTTP/1.1 404 ", head, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", head, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HttpsRedirectionAndHsts_On_RedirectPlainHttpAndSendStrictTransportSecurity()
    {
        using var timeout = TestTimeout.Start(180);
        var (certificatePath, keyPath) = fixture.Certificate.WritePem();
        await using var app = await fixture.StartAppAsync(["--urls", "http://127.0.0.1:0;https://127.0.0.1:0"], new Dictionary<string, string?>
        {
            ["Kestrel:Certificates:Default:Path"] = certificatePath,
            ["Kestrel:Certificates:Default:KeyPath"] = keyPath,
            [AppSettings.HttpsRedirection] = "true",
            [AppSettings.HstsEnabled] = "true",
            [AppSettings.HstsMaxAge] = "1.00:00:00",
            [AppSettings.HstsIncludeSubDomains] = "true",
            ["HumanLoop:Auth:DevelopmentSignIn"] = "true",
        }, timeout.Token);
        var urls = app.Urls.Select(u => new Uri(u)).ToList();
        var httpPort = urls.Single(u => u.Scheme == "http").Port;
        var httpsPort = urls.Single(u => u.Scheme == "https").Port;
        using var client = new HttpClient(fixture.Certificate.CreateHandler());

        using var plain = await client.GetAsync($"http://{TestCertificate.HostName}:{httpPort}/api/runs/x/requests?y=1", timeout.Token);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, plain.StatusCode);
        Assert.Equal($"https://{TestCertificate.HostName}:{httpsPort}/api/runs/x/requests?y=1", plain.Headers.Location!.AbsoluteUri);
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"), "HSTS is never sent over plain http.");
        Assert.False(plain.Headers.Contains("Set-Cookie"));

        using var secure = await client.GetAsync($"https://{TestCertificate.HostName}:{httpsPort}/signin/dev", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=86400; includeSubDomains", Assert.Single(secure.Headers.GetValues("Strict-Transport-Security")));
        AssertSecureCookie(secure, HumanLoopPages.AntiforgeryCookieName);

        // Not for a loopback name: a browser would pin it for every app on the machine.
        using var local = await client.GetAsync($"https://localhost:{httpsPort}/openapi/v1.json", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.False(local.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Serve_NoCertificate_ServesPlainHttpWithoutSecureCookiesOrHsts()
    {
        using var timeout = TestTimeout.Start(180);
        var (started, port) = await fixture.StartAppOnFreePortAsync(port => new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:humanLoop:port"] = port.ToString(CultureInfo.InvariantCulture),
            ["HumanLoop:Auth:DevelopmentSignIn"] = "true",

            // As local.settings.sample.json lists them: empty counts as not set.
            ["Kestrel:Certificates:Default:Path"] = string.Empty,
            ["Kestrel:Certificates:Default:KeyPath"] = string.Empty,
            ["Kestrel:Certificates:Default:Password"] = string.Empty,
            [AppSettings.SecureCookies] = string.Empty,
            [AppSettings.HttpsRedirection] = "false",
            [AppSettings.HstsEnabled] = "false",
        }, timeout.Token);
        await using var app = started;

        Assert.Equal($"http://localhost:{port}", Assert.Single(app.Urls));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var id = await client.StartTravelAsync(timeout.Token);
        Assert.StartsWith($"{id}:choose_mode:", await client.WaitForOpenRequestAsync(id, timeout.Token), StringComparison.Ordinal);
        using var page = await client.GetAsync("/signin/dev", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(HumanLoopPages.AntiforgeryCookieName + "=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie.Split(';').Select(p => p.Trim().ToLowerInvariant()));
    }

    public static TheoryData<string, string> BadCertificateSettings => new()
    {
        { "missing-pfx", "Setting 'Kestrel:Certificates:Default:Path' names '{folder}/missing.pfx', which does not exist." },
        { "wrong-password", "The certificate '{folder}/server.pfx' (Kestrel:Certificates:Default:Path) could not be opened with the password in 'Kestrel:Certificates:Default:Password'" },
        { "missing-key", "Setting 'Kestrel:Certificates:Default:KeyPath' names '{folder}/missing.key', which does not exist." },
        { "pem-without-key", "The certificate '{folder}/server.crt' (Kestrel:Certificates:Default:Path) has no private key" },
        { "endpoint-wrong-password", "The certificate '{folder}/server.pfx' (Kestrel:Endpoints:Secure:Certificate:Path) could not be opened with the password in 'Kestrel:Endpoints:Secure:Certificate:Password'" },
        { "redirection-without-https", "Setting 'HumanLoop:Http:HttpsRedirection' is on, but the app listens on no https address." },
    };

    [Theory]
    [MemberData(nameof(BadCertificateSettings))]
    public void Create_BadTransportSettings_ThrowsNamingTheSetting(string scenario, string expected)
    {
        var settings = BadSettings(scenario, out var args);

        var error = Assert.Throws<InvalidOperationException>(() =>
            HumanLoopAppFixture.StartApp(args, fixture.ConnectionString, "TlsBad" + Guid.NewGuid().ToString("N")[..8], fixture.Sink, settings));

        Assert.StartsWith(expected.Replace("{folder}", fixture.Certificate.Folder, StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-password", "Configuration error: The certificate")]
    [InlineData("https-without-certificate", "Could not start: Unable to configure HTTPS endpoint. No server certificate was specified")]
    public async Task Serve_BadCertificateSettings_Exits78WithAMessageAndNoStackTrace(string scenario, string expected)
    {
        using var timeout = TestTimeout.Start(120);
        var settings = BadSettings(scenario, out _);
        var environment = settings.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value ?? string.Empty);
        environment["AzureWebJobsStorage"] = fixture.ConnectionString;
        environment["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "TlsBad" + Guid.NewGuid().ToString("N")[..8];

        // An empty home: no development certificate in its store, wherever the suite runs.
        var home = Path.Combine(fixture.Certificate.Folder, "home-" + scenario);
        Directory.CreateDirectory(home);
        environment["HOME"] = home;
        environment["DOTNET_CLI_HOME"] = home;
        using var child = AppProcess.Start(AppProcess.FreePort(), environment);
        var stdout = child.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = child.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await child.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }

        var errors = await stderr;
        output.WriteLine(await stdout);
        output.WriteLine(errors);
        Assert.Equal(ServeCommand.ConfigError, child.ExitCode);
        Assert.StartsWith(expected, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> BadSettings(string scenario, out string[] args)
    {
        var certificate = fixture.Certificate;
        args = [];
        switch (scenario)
        {
            case "missing-pfx":
                return new() { ["Kestrel:Certificates:Default:Path"] = Path.Combine(certificate.Folder, "missing.pfx"), ["Kestrel:Certificates:Default:Password"] = Password };
            case "wrong-password":
                return new() { ["Kestrel:Certificates:Default:Path"] = certificate.WritePfx(Password), ["Kestrel:Certificates:Default:Password"] = "not-the-password" };
            case "missing-key":
                return new() { ["Kestrel:Certificates:Default:Path"] = certificate.WritePem().CertificatePath, ["Kestrel:Certificates:Default:KeyPath"] = Path.Combine(certificate.Folder, "missing.key") };
            case "pem-without-key":
                return new() { ["Kestrel:Certificates:Default:Path"] = certificate.WritePem().CertificatePath };
            case "endpoint-wrong-password":
                return new()
                {
                    ["Kestrel:Endpoints:Secure:Url"] = "https://127.0.0.1:0",
                    ["Kestrel:Endpoints:Secure:Certificate:Path"] = certificate.WritePfx(Password),
                    ["Kestrel:Endpoints:Secure:Certificate:Password"] = "wrong",
                };
            case "redirection-without-https":
                args = ["--urls", "http://127.0.0.1:0"];
                return new() { [AppSettings.HttpsRedirection] = "true" };
            case "https-without-certificate":
                return new() { ["Kestrel:Endpoints:Secure:Url"] = "https://127.0.0.1:0" };
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
    }

    private static void AssertSecureCookie(HttpResponseMessage response, string name)
    {
        Assert.True(response.Headers.TryGetValues("Set-Cookie", out var values), $"No Set-Cookie for {name}.");
        var cookie = Assert.Single(values, c => c.StartsWith(name + "=", StringComparison.Ordinal));
        var attributes = cookie.Split(';').Skip(1).Select(p => p.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
            }
        }

        return Encoding.ASCII.GetString(buffer, 0, length);
    }
}
