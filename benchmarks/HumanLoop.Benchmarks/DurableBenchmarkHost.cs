using System.Diagnostics;
using DurableTask.AzureStorage;
using Microsoft.Extensions.Options;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using Azure.Storage.Queues;
using HumanLoop.Graphs;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Benchmarks;

/// <summary>A freshly launched Azurite (temporary data folder, free ports) and one task-hub host on it, with every storage call counted.</summary>
internal sealed class DurableBenchmarkHost : IAsyncDisposable
{
    private readonly AzuriteLauncher _azurite;
    private readonly IHost _host;

    private readonly CancellationTokenSource _stopSubscriber = new();
    private readonly Task? _subscriber;
    private long _noticesConsumed;

    private DurableBenchmarkHost(AzuriteLauncher azurite, IHost host, StorageTransactionCounter counter, QueueClient? humanTasks)
    {
        _azurite = azurite;
        _host = host;
        Counter = counter;
        _subscriber = humanTasks is null ? null : DrainAsync(humanTasks, _stopSubscriber.Token);
    }

    /// <summary>Human-task notices the subscriber received and deleted (its calls are not counted as the host's).</summary>
    public long NoticesConsumed => Interlocked.Read(ref _noticesConsumed);

    public StorageTransactionCounter Counter { get; }

    public IDurableRunClient Client => _host.Services.GetRequiredService<IDurableRunClient>();

    /// <summary>The engine's backend, for reading an instance's history.</summary>
    public AzureStorageOrchestrationService Service => _host.Services.GetRequiredService<AzureStorageOrchestrationService>();

    /// <summary>The effective options the engine runs with.</summary>
    public DurableHumanLoopOptions Options => _host.Services.GetRequiredService<IOptions<DurableHumanLoopOptions>>().Value;

    /// <summary>Waits until <paramref name="expected"/> human tasks are open (each run waits on its step), printing progress.</summary>
    /// <param name="expected">How many open tasks to wait for.</param>
    /// <param name="limit">The longest wait.</param>
    /// <returns>The open tasks found last.</returns>
    public async Task<int> WaitForOpenTasksAsync(int expected, TimeSpan limit)
    {
        var store = _host.Services.GetRequiredService<HumanTaskStore>();
        var clock = Stopwatch.StartNew();
        var open = 0;
        while (clock.Elapsed < limit)
        {
            open = (await store.ListAsync(new HumanTaskQuery { Status = HumanRequestStatus.Open, Top = expected + 1000 })).Count;
            if (open >= expected)
            {
                return open;
            }

            Console.Error.WriteLine($"  {open}/{expected} runs waiting on their step ({clock.Elapsed.TotalSeconds:F0} s)");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        Console.Error.WriteLine($"  only {open}/{expected} runs waiting after {limit}");
        return open;
    }

    /// <summary>The host's loggers.</summary>
    public ILoggerFactory LoggerFactory => _host.Services.GetRequiredService<ILoggerFactory>();

    /// <param name="subscribe">Whether an external system (in this process, its calls not counted) drains <c>{hub}-human-tasks</c>.</param>
    /// <param name="graphs">The graphs the host runs.</param>
    /// <param name="configure">Engine settings applied after the host's own (null: HumanLoop's defaults).</param>
    public static async Task<DurableBenchmarkHost> StartAsync(bool subscribe, CompiledGraph[] graphs, Action<DurableHumanLoopOptions>? configure = null)
    {
        var clock = Stopwatch.StartNew();
        var azurite = await BenchAzurite.StartAsync();
        Console.Error.WriteLine($"{BenchAzurite.Describe()} up in {clock.ElapsedMilliseconds} ms on {azurite.TablePort}/{azurite.QueuePort}/{azurite.BlobPort}");
        var counter = new StorageTransactionCounter { TrackResources = Environment.GetEnvironmentVariable("HUMANLOOP_BENCH_RESOURCES") is "1" };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        string hubName = "Bench" + Guid.NewGuid().ToString("N")[..8];
        var hub = builder.Services.AddDurableHumanLoop(o =>
        {
            o.StorageConnectionString = azurite.ConnectionString;
            o.StorageClientSettings = new StorageClientSettings { PerCallPolicy = counter };
            o.HubName = hubName;
            configure?.Invoke(o);
        }).SelfHosted();
        foreach (var graph in graphs)
        {
            hub.AddGraph(graph);
        }

        var host = builder.Build();
        await host.StartAsync();

        // An external system subscribed to the task queue, as a hub with a queue channel has: it keeps the queue drained.
        var humanTasks = subscribe ? new QueueClient(azurite.ConnectionString, new TaskHubNames(hubName).HumanTasksQueue) : null;
        return new DurableBenchmarkHost(azurite, host, counter, humanTasks);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSubscriber.CancelAsync();
        if (_subscriber is not null)
        {
            await _subscriber;
        }

        _stopSubscriber.Dispose();
        await _host.StopAsync();
        _host.Dispose();
        await _azurite.DisposeAsync();
        BenchAzurite.DeleteData(_azurite);
    }

    private async Task DrainAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        await queue.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var messages = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), cancellationToken)).Value;
                await Task.WhenAll(messages.Select(m => queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, CancellationToken.None)));
                Interlocked.Add(ref _noticesConsumed, messages.Length);
                if (messages.Length == 0)
                {
                    await Task.Delay(50, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
}
