using System.ComponentModel.DataAnnotations;
using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.DependencyInjection;

/// <summary>
/// Settings of the durable runtime: the task hub, its storage account, and how the dispatchers poll and execute.
/// Defaults match host.json's defaults; <see cref="ApplyHostJson"/> copies a loaded host.json over them.
/// </summary>
public sealed class DurableHumanLoopOptions
{
    /// <summary>Gets or sets the task hub name; every table, queue and container is named from it.</summary>
    /// <value>The default is <c>HumanLoopHub</c>.</value>
    [Required]
    public string HubName { get; set; } = TaskHubNames.DefaultHubName;

    /// <summary>
    /// Gets or sets how the task hub uses its queues: partition count, polling back-off, batch size, poison threshold and
    /// visibility timeouts, with host.json's key names and defaults (<c>extensions.durableTask.storageProvider</c>).
    /// </summary>
    /// <value>The default is a <see cref="StorageProviderOptions"/> with every default.</value>
    [Required]
    public StorageProviderOptions StorageProvider { get; set; } = new();

    /// <summary>Gets or sets how many nodes one host executes at once.</summary>
    /// <value>The default is 100.</value>
    [Range(1, 10_000)]
    public int MaxConcurrentNodes { get; set; } = 100;

    /// <summary>
    /// Gets or sets the storage connection string (<c>AzureWebJobsStorage</c>); <c>UseDevelopmentStorage=true</c> means Azurite.
    /// When neither this nor <see cref="StorageAccount"/> is set, the connection named <see cref="ConnectionName"/> is read
    /// from configuration (a connection string, or <c>{name}__accountName</c> / service URIs with DefaultAzureCredential),
    /// and failing that Azurite on its default ports is used.
    /// </summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>Gets or sets the name of the storage connection setting.</summary>
    /// <value>The default is <c>AzureWebJobsStorage</c>.</value>
    [Required]
    public string ConnectionName { get; set; } = StorageAccountFactory.DefaultConnectionName;

    /// <summary>Gets or sets an explicit storage account; it takes precedence over every connection setting.</summary>
    public StorageAccountFactory? StorageAccount { get; set; }

    /// <summary>Gets or sets the client settings used when the account is created from a connection setting (retries, a transaction counter).</summary>
    /// <value>The default is <see cref="StorageClientSettings.Default"/>.</value>
    public StorageClientSettings? StorageClientSettings { get; set; }

    /// <summary>
    /// Gets or sets whether this process runs the dispatchers (control queues, work items, timers, recovery sweep).
    /// Turn it off for a process that only uses <see cref="Client.IDurableRunClient"/>.
    /// </summary>
    /// <value>The default is true.</value>
    public bool RunDispatchers { get; set; } = true;

    /// <summary>Gets or sets how often the timer table is read for timers coming due.</summary>
    /// <value>The default is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:10:00")]
    public TimeSpan TimerPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how far ahead the timer table is read; timers due within it are held in memory and fired on time.
    /// Must exceed <see cref="TimerPollingInterval"/>.
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan TimerLookahead { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how often runs whose committed work was never dispatched (the host died between the two) are
    /// looked for and dispatched again.
    /// </summary>
    /// <value>The default is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan RecoverySweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how old an undispatched outbox must be before the sweep takes it over.</summary>
    /// <value>The default is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan RecoveryAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how many runs' states (with their ETags) are kept in memory to save reads.</summary>
    /// <value>The default is 2,000. 0 turns the cache off.</value>
    [Range(0, 1_000_000)]
    public int RunCacheCapacity { get; set; } = 2_000;

    /// <summary>Gets or sets how long a graceful shutdown waits for executing nodes before releasing their work items to other hosts.</summary>
    /// <value>The default is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether each opened and closed human request is published to the <c>{hub}-human-tasks</c> queue
    /// (at least once, from the outbox), for external systems.
    /// </summary>
    /// <value>The default is true.</value>
    public bool PublishHumanTasks { get; set; } = true;

    /// <summary>Copies the <c>extensions.durableTask</c> settings and the runtime keys of <c>extensions.humanLoop</c> of a loaded host.json over these options.</summary>
    /// <param name="settings">The loaded settings.</param>
    public void ApplyHostJson(HostJsonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        HubName = settings.DurableTask.HubName;
        StorageProvider = settings.DurableTask.StorageProvider.Clone();
        MaxConcurrentNodes = settings.DurableTask.MaxConcurrentActivityFunctions ?? MaxConcurrentNodes;
        var own = settings.HumanLoop;
        PublishHumanTasks = own.PublishHumanTasks ?? PublishHumanTasks;
        RecoveryAge = own.RecoveryAge ?? RecoveryAge;
        RecoverySweepInterval = own.RecoverySweepInterval ?? RecoverySweepInterval;
        TimerPollingInterval = own.TimerPollingInterval ?? TimerPollingInterval;
        TimerLookahead = own.TimerLookahead ?? TimerLookahead;
        ShutdownGracePeriod = own.ShutdownGracePeriod ?? ShutdownGracePeriod;
        RunCacheCapacity = own.RunCacheCapacity ?? RunCacheCapacity;
    }

    internal TaskHubNames CreateNames() => new(HubName, StorageProvider.PartitionCount);
}
