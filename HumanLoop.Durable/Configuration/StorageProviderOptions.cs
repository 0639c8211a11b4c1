using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Configuration;

/// <summary>
/// The <c>extensions.durableTask.storageProvider</c> section of host.json: how the task hub uses
/// Azure Storage queues. Key names follow Durable Functions' Azure Storage provider.
/// </summary>
public sealed class StorageProviderOptions
{
    /// <summary>
    /// Gets or sets the number of control queues (<c>partitionCount</c>); runs are spread over them by
    /// a stable hash of the run id. Changing it for a hub that has runs in flight strands their messages.
    /// </summary>
    /// <value>The default is 4. Valid values are 1 to 16.</value>
    [Range(1, 16)]
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// Gets or sets the longest wait between polls of an idle queue (<c>maxQueuePollingInterval</c>,
    /// "hh:mm:ss"); polling backs off up to it and snaps back when work arrives. Durable Functions
    /// defaults to 30 seconds; HumanLoop defaults lower so that human answers feel immediate.
    /// </summary>
    /// <value>The default is 1 second (<c>00:00:01</c>). Valid values are 10 milliseconds to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.01", "01:00:00")]
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how many control-queue messages one receive fetches (<c>controlQueueBatchSize</c>).
    /// </summary>
    /// <value>The default is 32, the most a queue receive can return. Valid values are 1 to 32.</value>
    [Range(1, 32)]
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>Gets or sets how many control-queue messages a host buffers before it stops fetching more (<c>controlQueueBufferThreshold</c>). The default is 64.</summary>
    [Range(1, 1000)]
    public int ControlQueueBufferThreshold { get; set; } = 64;

    /// <summary>Gets or sets whether partitions are leased through a table rather than blobs (<c>useTablePartitionManagement</c>). The default is true, Durable Functions' own since its 3.x extension: a table read per partition manager loop instead of blob lease calls per partition.</summary>
    public bool UseTablePartitionManagement { get; set; } = true;

    /// <summary>
    /// Gets or sets how long a received control-queue message stays invisible to other hosts
    /// (<c>controlQueueVisibilityTimeout</c>, "hh:mm:ss").
    /// </summary>
    /// <value>The default is 5 minutes, as in Durable Functions. Valid values are 1 second to 7 days.</value>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long a received work item stays invisible to other hosts
    /// (<c>workItemQueueVisibilityTimeout</c>, "hh:mm:ss"); long nodes renew it.
    /// </summary>
    /// <value>The default is 5 minutes, as in Durable Functions. Valid values are 1 second to 7 days.</value>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A copy, so options built from one loaded host.json do not share (and mutate) its instance.</summary>
    internal StorageProviderOptions Clone() => (StorageProviderOptions)MemberwiseClone();
}
