using DurableTask.AzureStorage;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Storage;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Engine;

/// <summary>Maps HumanLoop's options (host.json's Durable Functions keys) onto the Azure Storage backend's settings.</summary>
public static class EngineSettings
{
    /// <summary>Creates the backend settings of a hub.</summary>
    /// <param name="options">The options, from host.json and code.</param>
    /// <param name="storage">The storage account.</param>
    /// <param name="loggerFactory">The engine's loggers.</param>
    /// <returns>Settings for <see cref="AzureStorageOrchestrationService"/>.</returns>
    public static AzureStorageOrchestrationServiceSettings Create(DurableHumanLoopOptions options, StorageAccountFactory storage, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        var provider = options.StorageProvider;
        return new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.HubName,
            StorageAccountClientProvider = storage.CreateEngineClientProvider(),
            PartitionCount = provider.PartitionCount,
            MaxQueuePollingInterval = provider.MaxQueuePollingInterval,
            ControlQueueBatchSize = provider.ControlQueueBatchSize,
            ControlQueueBufferThreshold = provider.ControlQueueBufferThreshold,
            ControlQueueVisibilityTimeout = provider.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = provider.WorkItemQueueVisibilityTimeout,
            UseTablePartitionManagement = provider.UseTablePartitionManagement,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentNodes,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            ExtendedSessionsEnabled = options.ExtendedSessionsEnabled,
            ExtendedSessionIdleTimeout = options.ExtendedSessionIdleTimeout,
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}",
            LoggerFactory = loggerFactory,
        };
    }
}
