namespace HumanLoop.Durable.Tests.Notifications;

/// <summary>One smtp4dev for the notification tests, started from the repository's pinned tool and stopped after them.</summary>
public sealed class Smtp4devFixture : IAsyncLifetime
{
    private Smtp4dev? _server;

    internal Smtp4dev Server => _server ?? throw new InvalidOperationException("smtp4dev is not started.");

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        _server = await Smtp4dev.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
