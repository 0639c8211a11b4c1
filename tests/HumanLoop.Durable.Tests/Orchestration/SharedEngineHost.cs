namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>
/// One engine host (one hub) for the tests of a class whose runs do not interfere: every test starts its own runs
/// with fresh ids, so sharing saves a worker start and stop per test.
/// </summary>
public sealed class SharedEngineHost(AzuriteFixture azurite) : IAsyncLifetime
{
    private EngineHost? _host;

    internal EngineHost Host => _host ?? throw new InvalidOperationException("The engine host is not started.");

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(60);
        _host = await EngineHost.StartAsync(azurite, TestGraphs.All, cancellationToken: timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
