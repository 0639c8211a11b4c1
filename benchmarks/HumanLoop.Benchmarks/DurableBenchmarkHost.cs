using System.Diagnostics;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Storage;
using HumanLoop.Graphs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Benchmarks;

/// <summary>A freshly launched Azurite (temporary data folder, free ports) and one task-hub host on it, with every storage call counted.</summary>
internal sealed class DurableBenchmarkHost : IAsyncDisposable
{
    private readonly AzuriteLauncher _azurite;
    private readonly IHost _host;
    private readonly string _dataFolder;

    private DurableBenchmarkHost(AzuriteLauncher azurite, IHost host, string dataFolder, StorageTransactionCounter counter)
    {
        _azurite = azurite;
        _host = host;
        _dataFolder = dataFolder;
        Counter = counter;
    }

    public StorageTransactionCounter Counter { get; }

    public IDurableRunClient Client => _host.Services.GetRequiredService<IDurableRunClient>();

    internal RunProcessor Processor => _host.Services.GetRequiredService<RunProcessor>();

    public static async Task<DurableBenchmarkHost> StartAsync(params CompiledGraph[] graphs)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-bench-" + Guid.NewGuid().ToString("N"));
        var clock = Stopwatch.StartNew();
        var azurite = await AzuriteLauncher.StartAsync(new AzuriteOptions { DataFolder = dataFolder });
        Console.Error.WriteLine($"Azurite up in {clock.ElapsedMilliseconds} ms on {azurite.TablePort}/{azurite.QueuePort}/{azurite.BlobPort}");
        var counter = new StorageTransactionCounter();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        var hub = builder.Services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = azurite.ConnectionString;
            o.StorageClientSettings = new StorageClientSettings { PerCallPolicy = counter };
            o.HubName = "Bench" + Guid.NewGuid().ToString("N")[..8];
        });
        foreach (var graph in graphs)
        {
            hub.AddGraph(graph);
        }

        var host = builder.Build();
        await host.StartAsync();
        return new DurableBenchmarkHost(azurite, host, dataFolder, counter);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _azurite.DisposeAsync();
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
}
