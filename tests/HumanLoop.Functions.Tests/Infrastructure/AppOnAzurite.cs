using Xunit.Abstractions;
using Xunit.Sdk;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// The real app (<see cref="HumanLoopAppFixture.StartApp"/>) started on Kestrel at 127.0.0.1 on a free port, on its own
/// task hub in a real Azurite started for it on free ports; disposing stops both. The fixtures that need an app of their
/// own settings build on it.
/// </summary>
internal sealed class AppOnAzurite : IAsyncDisposable
{
    private readonly TemporaryAzurite _azurite;

    private AppOnAzurite(TemporaryAzurite azurite, WebApplication app, string hubName)
    {
        _azurite = azurite;
        App = app;
        HubName = hubName;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public Uri BaseAddress { get; }

    public string HubName { get; }

    public string ConnectionString => _azurite.Launcher.ConnectionString;

    /// <summary>Starts Azurite, then the app on hub <paramref name="hubName"/> with <paramref name="settings"/> over its own configuration.</summary>
    public static async Task<AppOnAzurite> StartAsync(
        string hubName,
        IMessageSink sink,
        IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var azurite = await TemporaryAzurite.StartAsync(cancellationToken: cancellationToken);
        WebApplication? app = null;
        try
        {
            app = HumanLoopAppFixture.StartApp(["--urls", "http://127.0.0.1:0"], azurite.Launcher.ConnectionString, hubName, sink, settings, configure);
            await app.StartAsync(cancellationToken);
            var started = new AppOnAzurite(azurite, app, hubName);
            sink.OnMessage(new DiagnosticMessage($"App on hub {hubName} listening on {started.BaseAddress}"));
            return started;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client for the app, with its base address set.</summary>
    public HttpClient NewClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        using (var timeout = TestTimeout.Start(30))
        {
            await App.StopAsync(timeout.Token);
        }

        await App.DisposeAsync();
        await _azurite.DisposeAsync();
    }
}
