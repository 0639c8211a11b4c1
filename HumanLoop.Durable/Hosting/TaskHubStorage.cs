using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Hosting;

/// <summary>The storage clients of one task hub, created once from the options; creates the hub's tables, queues and containers on first use.</summary>
internal sealed class TaskHubStorage : IDisposable
{
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private volatile bool _created;

    public TaskHubStorage(IOptions<DurableHumanLoopOptions> options, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Options = options.Value;
        Names = Options.CreateNames();
        Account = Options.StorageAccount ?? CreateAccount(Options, services);
        var tables = Account.CreateTableServiceClient();
        var queues = Account.CreateQueueServiceClient();
        var blobs = Account.CreateBlobServiceClient();
        Runs = tables.GetTableClient(Names.RunsTable);
        Timers = tables.GetTableClient(Names.TimersTable);
        Control = [.. Names.ControlQueues.Select(queues.GetQueueClient)];
        WorkItems = queues.GetQueueClient(Names.WorkItemQueue);
        Poison = queues.GetQueueClient(Names.PoisonQueue);
        HumanTasks = queues.GetQueueClient(Names.HumanTasksQueue);
        Payloads = blobs.GetBlobContainerClient(Names.LargeMessagesContainer);
        PayloadStore = new LargePayloadStore(Payloads, loggerFactory.CreateLogger<LargePayloadStore>());
    }

    public DurableHumanLoopOptions Options { get; }

    public TaskHubNames Names { get; }

    public StorageAccountFactory Account { get; }

    public TableClient Runs { get; }

    public TableClient Timers { get; }

    public IReadOnlyList<QueueClient> Control { get; }

    public QueueClient WorkItems { get; }

    public QueueClient Poison { get; }

    public QueueClient HumanTasks { get; }

    public BlobContainerClient Payloads { get; }

    public LargePayloadStore PayloadStore { get; }

    public void Dispose() => _createGate.Dispose();

    public QueueClient ControlQueueFor(string runId) => Control[Names.PartitionOf(runId)];

    /// <summary>Creates every table, queue and container of the hub unless this instance already did.</summary>
    public async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _createGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            var work = new List<Task>
            {
                Ignore409(Runs.CreateIfNotExistsAsync(cancellationToken)),
                Ignore409(Timers.CreateIfNotExistsAsync(cancellationToken)),
                Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                WorkItems.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                HumanTasks.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            };
            work.AddRange(Control.Select(q => (Task)q.CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
            await Task.WhenAll(work).ConfigureAwait(false);
            _created = true;
        }
        finally
        {
            _createGate.Release();
        }
    }

    private static async Task Ignore409(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created by another host at the same moment.
        }
    }

    private static StorageAccountFactory CreateAccount(DurableHumanLoopOptions options, IServiceProvider services)
    {
        if (!string.IsNullOrWhiteSpace(options.StorageConnectionString))
        {
            return StorageAccountFactory.FromConnectionString(options.StorageConnectionString, options.StorageClientSettings);
        }

        var configuration = (services.GetService(typeof(StorageConfigurationSource)) as StorageConfigurationSource)?.Configuration
            ?? services.GetService(typeof(IConfiguration)) as IConfiguration;
        if (configuration is not null)
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in configuration.AsEnumerable())
            {
                if (key.StartsWith(options.ConnectionName, StringComparison.OrdinalIgnoreCase))
                {
                    values[key] = value;
                }
            }

            if (values.Values.Any(v => !string.IsNullOrWhiteSpace(v)))
            {
                return StorageAccountFactory.FromSettings(values, options.ConnectionName, options.StorageClientSettings);
            }
        }

        return StorageAccountFactory.FromConnectionString("UseDevelopmentStorage=true", options.StorageClientSettings);
    }
}
