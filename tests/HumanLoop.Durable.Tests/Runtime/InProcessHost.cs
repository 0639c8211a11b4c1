using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.TestHost;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Tests.Runtime;

/// <summary>A task-hub host with its own DI container (so its own cache and dispatchers), as a second process would have.</summary>
internal sealed class InProcessHost : IAsyncDisposable
{
    private readonly IHost _host;

    private InProcessHost(IHost host)
    {
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    public IDurableRunClient Client => Services.GetRequiredService<IDurableRunClient>();

    public ExecutionLog Executions => Services.GetRequiredService<ExecutionLog>();

    public static Task<InProcessHost> StartAsync(string connectionString, string hub, Action<DurableHumanLoopOptions>? configure = null, CancellationToken cancellationToken = default) =>
        StartAsync(connectionString, hub, configure, time: null, cancellationToken);

    /// <summary>Starts a host whose clock is <paramref name="time"/> (null: the system clock).</summary>
    public static async Task<InProcessHost> StartAsync(string connectionString, string hub, Action<DurableHumanLoopOptions>? configure, TimeProvider? time, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddTestHub(connectionString, hub, configure);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new InProcessHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _host.StopAsync(stop.Token);
        _host.Dispose();
    }
}

internal static class TestRuns
{
    public static JsonElement Input(string topic = "durability", int draftDelayMs = 0, string? padding = null) =>
        JsonSerializer.SerializeToElement(new Doc(topic, draftDelayMs, Padding: padding), DocJson.Default.Doc);

    public static JsonElement Approve { get; } = JsonDocument.Parse("\"approve\"").RootElement;

    /// <summary>Polls the status until a request is open (or the run finished), as a reviewer's inbox would.</summary>
    public static async Task<HumanRequest> WaitForRequestAsync(IDurableRunClient client, string runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = await client.GetStatusAsync(runId, cancellationToken: cancellationToken);
            if (status?.OpenRequests.Count > 0)
            {
                return status.OpenRequests[0];
            }

            Assert.False(status?.RuntimeStatus.IsTerminal() ?? false, $"Run {runId} finished ({status?.RuntimeStatus}: {status?.Error}) without opening a request.");
            await Task.Delay(50, cancellationToken);
        }
    }
}
