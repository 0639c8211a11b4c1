using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Hosting;

/// <summary>The storage account of a hub, its names, and the Table, Queue and Blob clients HumanLoop's own stores use.</summary>
public sealed class HubStorage
{
    /// <summary>Resolves the account from the options: an explicit account, a connection string, or the configuration.</summary>
    /// <param name="options">The hub's options.</param>
    /// <param name="services">Where the configuration is found.</param>
    public HubStorage(IOptions<DurableHumanLoopOptions> options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        Names = value.CreateNames();
        Account = value.StorageAccount ?? CreateAccount(value, services);
        Tables = Account.CreateTableServiceClient();
        Queues = Account.CreateQueueServiceClient();
        Blobs = Account.CreateBlobServiceClient();
    }

    /// <summary>The hub's storage names.</summary>
    public TaskHubNames Names { get; }

    /// <summary>The storage account.</summary>
    public StorageAccountFactory Account { get; }

    /// <summary>The account's Table service.</summary>
    public TableServiceClient Tables { get; }

    /// <summary>The account's Queue service.</summary>
    public QueueServiceClient Queues { get; }

    /// <summary>The account's Blob service (the link-signing key ring).</summary>
    public BlobServiceClient Blobs { get; }

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
