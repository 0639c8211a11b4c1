namespace HumanLoop.Durable.Tests.Notifications;

/// <summary>
/// Two smtp4dev servers that require authentication as <see cref="UserName"/> / <see cref="Password"/> over TLS with a
/// self-signed certificate made for the run: one takes STARTTLS, the other TLS from the first byte.
/// </summary>
public sealed class SecureSmtpFixture : IAsyncLifetime
{
    public const string UserName = "humanloop";
    public const string Password = "s3cret-Pa55";

    private TestCertificate? _certificate;
    private Smtp4dev? _startTls;
    private Smtp4dev? _implicitTls;

    internal TestCertificate Certificate => _certificate ?? throw new InvalidOperationException("The fixture is not started.");

    internal Smtp4dev StartTls => _startTls ?? throw new InvalidOperationException("The fixture is not started.");

    internal Smtp4dev ImplicitTls => _implicitTls ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _certificate = TestCertificate.Create();
        var (certificate, key) = _certificate.WritePem();
        string[] secure =
        [
            $"--tlscertificate={certificate}", $"--tlscertificateprivatekey={key}",
            "--authenticationrequired", "--smtpallowanycredentials-", $"--user={UserName}={Password}",
        ];
        var startTls = Smtp4dev.StartAsync([.. secure, "--tlsmode=StartTls", "--secureconnectionrequired"], timeout.Token);
        var implicitTls = Smtp4dev.StartAsync([.. secure, "--tlsmode=ImplicitTls"], timeout.Token);
        try
        {
            _startTls = await startTls;
        }
        finally
        {
            _implicitTls = await implicitTls;
        }
    }

    public async Task DisposeAsync()
    {
        if (_startTls is not null)
        {
            await _startTls.DisposeAsync();
        }

        if (_implicitTls is not null)
        {
            await _implicitTls.DisposeAsync();
        }

        _certificate?.Dispose();
    }
}
