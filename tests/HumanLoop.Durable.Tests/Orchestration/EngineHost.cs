using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Graphs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>
/// A generic host running the self-hosted Durable Task engine on its own hub of the fixture's Azurite, with the
/// given graphs registered, polling fast enough for tests. Stopped and disposed with the helper.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host, string hubName)
    {
        _host = host;
        HubName = hubName;
    }

    public string HubName { get; }

    public IDurableRunClient Client => _host.Services.GetRequiredService<IDurableRunClient>();

    public DurableTaskClient Engine => _host.Services.GetRequiredService<DurableTaskClient>();

    public HumanTaskStore Tasks => _host.Services.GetRequiredService<HumanTaskStore>();

    public IServiceProvider Services => _host.Services;

    public static Task<EngineHost> StartAsync(
        AzuriteFixture azurite,
        IEnumerable<CompiledGraph> graphs,
        Action<DurableHumanLoopOptions>? configure = null,
        string? hubName = null,
        IDictionary<string, string?>? settings = null,
        CancellationToken cancellationToken = default) =>
        StartAsync(azurite.Launcher, graphs, configure, hubName, settings, cancellationToken);

    public static async Task<EngineHost> StartAsync(
        AzuriteLauncher azurite,
        IEnumerable<CompiledGraph> graphs,
        Action<DurableHumanLoopOptions>? configure = null,
        string? hubName = null,
        IDictionary<string, string?>? settings = null,
        CancellationToken cancellationToken = default)
    {
        hubName ??= NewHubName();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var humanLoop = builder.Services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = azurite.ConnectionString;
            o.HubName = hubName;
            o.StorageProvider.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100);
            o.StorageProvider.PartitionCount = 1;
            o.StorageProvider.UseTablePartitionManagement = true;
            o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);

            // Hosts that start together rebalance their partitions for a few seconds; a test waits for an answer's
            // verdict rather than taking the 202 for "not applied yet" after the default 5 s.
            o.ResponseTimeout = TimeSpan.FromSeconds(30);
            configure?.Invoke(o);
        });
        foreach (var graph in graphs)
        {
            humanLoop.AddGraph(graph);
        }

        humanLoop.SelfHosted();
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new EngineHost(host, hubName);
    }

    /// <summary>A hub name no other test uses.</summary>
    public static string NewHubName() => "hub" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        using var timeout = TestTimeout.Start(30);
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
