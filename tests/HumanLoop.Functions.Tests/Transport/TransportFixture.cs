using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Transport;

/// <summary>
/// One Azurite for the transport tests, and a self-signed test certificate. Each test starts its own app (its own
/// listening addresses and settings) on a hub of its own.
/// </summary>
public sealed class TransportFixture(IMessageSink messageSink) : IAsyncLifetime
{
    private TemporaryAzurite? _azurite;

    /// <summary>The test certificate, trusted only by the clients it makes.</summary>
    internal TestCertificate Certificate { get; } = TestCertificate.Create();

    public IMessageSink Sink => messageSink;

    public string ConnectionString => _azurite!.Launcher.ConnectionString;

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _azurite = await TemporaryAzurite.StartAsync(cancellationToken: timeout.Token);
    }

    public async Task DisposeAsync()
    {
        Certificate.Dispose();
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>Builds and starts the real app with <paramref name="settings"/>, on a new hub.</summary>
    public async Task<WebApplication> StartAppAsync(string[] args, IDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var app = HumanLoopAppFixture.StartApp(args, ConnectionString, "Tls" + Guid.NewGuid().ToString("N")[..12], messageSink, settings);
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>
    /// Starts the app on the port setting (no URLs) with a port that was free a moment ago; another process may take
    /// it between the check and the bind, so a taken port is tried again with another.
    /// </summary>
    public async Task<(WebApplication App, int Port)> StartAppOnFreePortAsync(Func<int, IDictionary<string, string?>> settings, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = AppProcess.FreePort();
            var app = HumanLoopAppFixture.StartApp([], ConnectionString, "Tls" + Guid.NewGuid().ToString("N")[..12], messageSink, settings(port));
            try
            {
                await app.StartAsync(cancellationToken);
                return (app, port);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 5)
            {
                await app.DisposeAsync();
            }
        }
    }
}
