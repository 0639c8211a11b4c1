using System.ComponentModel.DataAnnotations;
using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.DependencyInjection;

/// <summary>
/// Settings of the durable runtime: the task hub, its storage account, and how the engine polls and executes.
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

    /// <summary>Gets or sets how many nodes (activity work items) one host executes at once (host.json <c>maxConcurrentActivityFunctions</c>).</summary>
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
    /// Gets or sets whether this process runs the engine's worker (orchestrations and activities). Turn it off for a
    /// process that only uses the client.
    /// </summary>
    /// <value>The default is true.</value>
    public bool RunWorker { get; set; } = true;

    /// <summary>Gets or sets how long a graceful shutdown waits for executing orchestrations and nodes; the engine re-delivers what is left.</summary>
    /// <value>The default is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether the notices of human tasks whose step allows the callback channel (opened, each reminder,
    /// escalated, closed) are published to the <c>{hub}-human-tasks</c> queue, at least once, for external systems.
    /// </summary>
    /// <value>The default is true.</value>
    public bool PublishHumanTasks { get; set; } = true;

    /// <summary>
    /// Gets or sets how many orchestration work items one host processes at once (host.json
    /// <c>maxConcurrentOrchestratorFunctions</c>).
    /// </summary>
    /// <value>The default is 100.</value>
    [Range(1, 10_000)]
    public int MaxConcurrentOrchestrations { get; set; } = 100;

    /// <summary>
    /// Gets or sets whether an orchestration stays in memory between its episodes, so the engine does not read its
    /// history again for each answer (host.json <c>extendedSessionsEnabled</c>).
    /// </summary>
    /// <value>
    /// The default is false, Durable Functions' own. A session holds one of the host's
    /// <see cref="MaxConcurrentOrchestrations"/> slots until its idle timeout, and a human step is idle far longer
    /// than that, so sessions on thousands of waiting runs starve new starts; turn them on for chat-like graphs whose
    /// answers come within seconds.
    /// </value>
    public bool ExtendedSessionsEnabled { get; set; }

    /// <summary>Gets or sets how long an idle extended session is kept (host.json <c>extendedSessionIdleTimeoutInSeconds</c>).</summary>
    /// <value>The default is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many messages one orchestration generation applies before it continues as new with the run's
    /// state, keeping history bounded (host.json <c>extensions.humanLoop.continueAsNewAfter</c>).
    /// </summary>
    /// <value>The default is 100.</value>
    [Range(2, 10_000)]
    public int ContinueAsNewAfter { get; set; } = 100;

    /// <summary>
    /// Gets or sets how a failed record activity (a run's events, task rows and notices) is tried again: quickly, then
    /// on a slower durable timer for as long as the run lives (code only; not a host.json key).
    /// </summary>
    public RecordRetryOptions RecordRetry { get; set; } = new();

    /// <summary>
    /// Gets or sets how long the respond API waits for the orchestration to apply an answer before it answers 202 with
    /// a status link (host.json <c>extensions.humanLoop.responseTimeout</c>).
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(5);

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
        ShutdownGracePeriod = own.ShutdownGracePeriod ?? ShutdownGracePeriod;
        ContinueAsNewAfter = own.ContinueAsNewAfter ?? ContinueAsNewAfter;
        ResponseTimeout = own.ResponseTimeout ?? ResponseTimeout;
        MaxConcurrentOrchestrations = settings.DurableTask.MaxConcurrentOrchestratorFunctions ?? MaxConcurrentOrchestrations;
        ExtendedSessionsEnabled = settings.DurableTask.ExtendedSessionsEnabled ?? ExtendedSessionsEnabled;
        ExtendedSessionIdleTimeout = settings.DurableTask.ExtendedSessionIdleTimeoutInSeconds is { } idle ? TimeSpan.FromSeconds(idle) : ExtendedSessionIdleTimeout;
    }

    /// <summary>The graph orchestrator's settings among these: its history bound and record retries.</summary>
    /// <returns>New options; both hosts build their orchestrators with them.</returns>
    public GraphOrchestratorOptions CreateOrchestratorOptions() => new() { ContinueAsNewAfter = ContinueAsNewAfter, RecordRetry = RecordRetry };

    internal TaskHubNames CreateNames() => new(HubName, StorageProvider.PartitionCount);
}
