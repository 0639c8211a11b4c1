using System.Diagnostics;
using System.Globalization;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using DurableTask.Core.Tracing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using CoreOrchestrationQuery = DurableTask.Core.Query.OrchestrationQuery;
using CorePurgeResult = DurableTask.Core.PurgeResult;
using OrchestrationQuery = Microsoft.DurableTask.Client.OrchestrationQuery;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace HumanLoop.Durable.Client;

/// <summary>
/// A <see cref="DurableTaskClient"/> over the self-hosted engine's <see cref="IOrchestrationServiceClient"/> (in
/// practice <see cref="AzureStorageOrchestrationService"/>), so handlers written against <see cref="DurableTaskClient"/>
/// behave the same in self-host mode as with the Functions host's <c>[DurableClient]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Queries need the service to implement <see cref="IOrchestrationServiceQueryClient"/> and purges
/// <see cref="IOrchestrationServicePurgeClient"/>; <see cref="AzureStorageOrchestrationService"/> implements both.
/// Those members throw <see cref="NotSupportedException"/> otherwise. Durable entities, restart, rewind, history and
/// recursive terminate or purge are not supported.
/// </para>
/// <para>
/// The engine's client calls take no cancellation token: <c>cancellation</c> is checked before each call and stops
/// the waits and queries, but a call already sent to storage completes. The parameters keep the base class's name
/// <c>cancellation</c>, so named arguments work whichever type the caller holds.
/// </para>
/// </remarks>
public sealed partial class EngineDurableTaskClient : DurableTaskClient
{
    private readonly IOrchestrationServiceClient _client;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a client over the engine's service client. The client does not own the service: disposing it leaves the service running.</summary>
    /// <param name="client">The engine's client; for queries and purges it must also implement <see cref="IOrchestrationServiceQueryClient"/> and <see cref="IOrchestrationServicePurgeClient"/>.</param>
    /// <param name="dataConverter">Serializes inputs, event payloads and termination reasons, and reads outputs. The default is <see cref="JsonDataConverter.Default"/>.</param>
    /// <param name="timeProvider">The clock for the request-time tag and the polling delays of the wait methods. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Receives refused starts and purges. The default logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    public EngineDurableTaskClient(
        IOrchestrationServiceClient client,
        DataConverter? dataConverter = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
        : base(Microsoft.Extensions.Options.Options.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _converter = dataConverter ?? JsonDataConverter.Default;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Not supported: the self-hosted engine runs no durable entities.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override DurableEntityClient Entities =>
        throw new NotSupportedException("Durable entities are not supported by the self-hosted HumanLoop engine; use orchestrations and external events.");

    /// <summary>
    /// Starts a new instance of <paramref name="orchestratorName"/>, or starts a finished instance again under the
    /// same id, as Durable Functions does.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The instance id is <see cref="StartOrchestrationOptions.InstanceId"/>, or a new GUID in "N" format.
    /// <see cref="StartOrchestrationOptions.StartAt"/> delays the start (the instance is Pending until then; AzureStorage
    /// hides the start message for the delay in whole seconds, truncated, so it may start up to a second early), and
    /// <see cref="StartOrchestrationOptions.Tags"/> are stored with the instance.
    /// </para>
    /// <para>
    /// An instance that is Pending, Running or Suspended is never replaced: starting its id again throws. A Completed,
    /// Failed or Terminated instance is started again (a new execution with the new input) unless its status is one
    /// of <see cref="StartOrchestrationOptions.DedupeStatuses"/>. The check reads the instance first; two starts of
    /// the same new id racing each other are settled by the engine (one fails on the instance table's ETag).
    /// </para>
    /// </remarks>
    /// <param name="orchestratorName">The registered name of the orchestrator.</param>
    /// <param name="input">The orchestrator's input, serialized with the client's <see cref="DataConverter"/>; null for none.</param>
    /// <param name="options">The instance id, start time, version, tags and dedupe statuses; null for the defaults.</param>
    /// <param name="cancellation">Cancels the start before its storage calls are sent.</param>
    /// <returns>The instance id.</returns>
    /// <exception cref="OrchestrationAlreadyExistsException">The id names an instance that is not finished, or one whose status is a dedupe status.</exception>
    /// <exception cref="ArgumentException">The orchestrator name or instance id is empty, or a dedupe status is not a status name.</exception>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName,
        object? input = null,
        StartOrchestrationOptions? options = null,
        CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName.Name, nameof(orchestratorName));
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId, nameof(options));
        var dedupe = CoreConversions.NonTerminalStatuses
            .Union(CoreConversions.ParseDedupeStatuses(options?.DedupeStatuses ?? []))
            .ToArray();

        var existing = await ReadStateAsync(instanceId, withPayloads: false, cancellation);
        if (existing is not null && dedupe.Contains(existing.OrchestrationStatus))
        {
            LogStartRefused(_logger, instanceId, existing.OrchestrationStatus);
            throw new OrchestrationAlreadyExistsException(existing.OrchestrationStatus.IsTerminal()
                ? $"Orchestration instance '{instanceId}' already exists with status {existing.OrchestrationStatus}, one of the start's dedupe statuses, so it was not started again."
                : $"Orchestration instance '{instanceId}' already exists with status {existing.OrchestrationStatus}; an instance that has not finished cannot be started again. Terminate it or wait for it to finish first.");
        }

        var instance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = Guid.NewGuid().ToString("N") };
        var started = new ExecutionStartedEvent(-1, _converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = options?.Version?.Version ?? string.Empty,
            OrchestrationInstance = instance,
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
            ParentTraceContext = Activity.Current is { Id: { } activityId } activity ? new DistributedTraceContext(activityId, activity.TraceStateString) : null,
            Tags = CreateTags(options?.Tags),
        };

        cancellation.ThrowIfCancellationRequested();

        // The dedupe statuses go to the engine too, so a start racing this one between the read and the write is also
        // refused. AzureStorage only throws for them with ThrowExceptionOnInvalidDedupeStatus; by default it drops the
        // start silently, which is why the read above is what callers rely on.
        await _client.CreateTaskOrchestrationAsync(new TaskMessage { OrchestrationInstance = instance, Event = started }, dedupe);
        LogScheduled(_logger, orchestratorName.Name, instanceId);
        return instanceId;
    }

    /// <summary>Sends an external event to an instance.</summary>
    /// <remarks>
    /// The event is queued without reading the instance first. An instance receives it whether or not it is waiting
    /// for it yet; an event for an unknown or finished instance is discarded by the engine.
    /// </remarks>
    /// <param name="instanceId">The instance to send the event to.</param>
    /// <param name="eventName">The event name the orchestrator waits for (compared case-insensitively by the SDK).</param>
    /// <param name="eventPayload">The event's data, serialized with the client's <see cref="DataConverter"/>; null for none.</param>
    /// <param name="cancellation">Cancels the send before it reaches storage.</param>
    /// <returns>A task that completes once the event is queued.</returns>
    /// <exception cref="ArgumentException"><paramref name="instanceId"/> or <paramref name="eventName"/> is empty.</exception>
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return SendAsync(instanceId, new EventRaisedEvent(-1, _converter.Serialize(eventPayload)) { Name = eventName }, cancellation);
    }

    /// <summary>Terminates an instance. Its output becomes <see cref="TerminateInstanceOptions.Output"/>, the termination reason.</summary>
    /// <remarks>The request is queued; the instance shows Terminated once the engine has applied it (wait with <see cref="WaitForInstanceCompletionAsync(string, bool, CancellationToken)"/>). A finished instance is left as it is.</remarks>
    /// <param name="instanceId">The instance to terminate.</param>
    /// <param name="options">The reason, serialized with the client's <see cref="DataConverter"/>; null for none.</param>
    /// <param name="cancellation">Cancels the request before it reaches storage.</param>
    /// <returns>A task that completes once the request is queued.</returns>
    /// <exception cref="NotSupportedException"><see cref="TerminateInstanceOptions.Recursive"/> is set.</exception>
    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        RejectRecursive(options?.Recursive == true, "terminate");
        cancellation.ThrowIfCancellationRequested();
        return _client.ForceTerminateTaskOrchestrationAsync(instanceId, _converter.Serialize(options?.Output));
    }

    /// <summary>Suspends an instance: it shows Suspended and holds the events it receives until it is resumed.</summary>
    /// <param name="instanceId">The instance to suspend.</param>
    /// <param name="reason">Why, recorded in the instance's history; null for none.</param>
    /// <param name="cancellation">Cancels the request before it reaches storage.</param>
    /// <returns>A task that completes once the request is queued.</returns>
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    /// <summary>Resumes a suspended instance, which then processes the events it held.</summary>
    /// <param name="instanceId">The instance to resume.</param>
    /// <param name="reason">Why, recorded in the instance's history; null for none.</param>
    /// <param name="cancellation">Cancels the request before it reaches storage.</param>
    /// <returns>A task that completes once the request is queued.</returns>
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    /// <summary>Reads an instance's status.</summary>
    /// <param name="instanceId">The instance to read.</param>
    /// <param name="getInputsAndOutputs">Whether to return the input and output (and the converter that reads them and the custom status); without it, <see cref="OrchestrationMetadata.ReadInputAs{T}"/> throws.</param>
    /// <param name="cancellation">Cancels the read before it reaches storage.</param>
    /// <returns>The instance's metadata, or null when there is no such instance.</returns>
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var state = await ReadStateAsync(instanceId, getInputsAndOutputs, cancellation);
        return state?.ToMetadata(_converter, getInputsAndOutputs);
    }

    /// <summary>Lists the instances that match <paramref name="filter"/>, page by page.</summary>
    /// <remarks>
    /// The filter's statuses, creation window, task hub names, instance id prefix, page size, continuation token and
    /// <see cref="OrchestrationQuery.FetchInputsAndOutputs"/> are passed to the engine's query. A page size given to
    /// <see cref="AsyncPageable{T}.AsPages(string, int?)"/> overrides the filter's. Durable entities are excluded.
    /// </remarks>
    /// <param name="filter">The query; null lists every instance, 100 per page.</param>
    /// <returns>The matching instances; enumerating it queries storage one page at a time.</returns>
    /// <exception cref="NotSupportedException">The engine's client does not implement <see cref="IOrchestrationServiceQueryClient"/>.</exception>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var queries = Require<IOrchestrationServiceQueryClient>("query instances");
        var withPayloads = filter?.FetchInputsAndOutputs ?? false;
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreOrchestrationQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(status => status.ToCoreStatus()).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                TaskHubNames = filter?.TaskHubNames?.ToList(),
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                FetchInputsAndOutputs = withPayloads,
                ExcludeEntities = true,
            };
            var result = await queries.GetOrchestrationWithQueryAsync(query, cancellation);
            var page = result.OrchestrationState.Select(state => state.ToMetadata(_converter, withPayloads)).ToList();

            // The pager stops on a null token only; an empty one would start the listing over.
            return new Page<OrchestrationMetadata>(page, string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken);
        });
    }

    /// <summary>Waits until an instance has started: until its status is no longer Pending.</summary>
    /// <remarks>Polls the instance's status, every 20 ms at first and backing off to every 250 ms.</remarks>
    /// <param name="instanceId">The instance to wait for.</param>
    /// <param name="getInputsAndOutputs">Whether the returned metadata carries the input and output.</param>
    /// <param name="cancellation">Stops the wait (the task is then cancelled).</param>
    /// <returns>The instance's metadata once it has started.</returns>
    /// <exception cref="InvalidOperationException">There is no such instance (or it was purged during the wait).</exception>
    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForStatusAsync(instanceId, getInputsAndOutputs, static status => status != OrchestrationStatus.Pending, cancellation);

    /// <summary>Waits until an instance has finished: Completed, Failed or Terminated.</summary>
    /// <remarks>Polls the instance's status, every 20 ms at first and backing off to every 250 ms. A suspended instance is not finished.</remarks>
    /// <param name="instanceId">The instance to wait for.</param>
    /// <param name="getInputsAndOutputs">Whether the returned metadata carries the input and output.</param>
    /// <param name="cancellation">Stops the wait (the task is then cancelled).</param>
    /// <returns>The instance's metadata once it has finished.</returns>
    /// <exception cref="InvalidOperationException">There is no such instance (or it was purged during the wait).</exception>
    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForStatusAsync(instanceId, getInputsAndOutputs, static status => status.IsTerminal(), cancellation);

    /// <summary>Deletes a finished instance's state and history.</summary>
    /// <param name="instanceId">The instance to purge.</param>
    /// <param name="options">Null, or options without <see cref="PurgeInstanceOptions.Recursive"/>.</param>
    /// <param name="cancellation">Cancels the purge before it reaches storage.</param>
    /// <returns>One purged instance, or none when there is no such instance.</returns>
    /// <exception cref="InvalidOperationException">The instance has not finished (Pending, Running or Suspended).</exception>
    /// <exception cref="NotSupportedException"><see cref="PurgeInstanceOptions.Recursive"/> is set, or the engine's client does not implement <see cref="IOrchestrationServicePurgeClient"/>.</exception>
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        RejectRecursive(options?.Recursive == true, "purge");
        var purges = Require<IOrchestrationServicePurgeClient>("purge instances");
        var state = await ReadStateAsync(instanceId, withPayloads: false, cancellation);
        if (state is null)
        {
            return new PurgeResult(0);
        }

        if (!state.OrchestrationStatus.IsTerminal())
        {
            throw new InvalidOperationException(
                $"Orchestration instance '{instanceId}' is {state.OrchestrationStatus}; only a completed, failed or terminated instance can be purged.");
        }

        cancellation.ThrowIfCancellationRequested();
        var result = ToPurgeResult(await purges.PurgeInstanceStateAsync(instanceId));
        LogPurged(_logger, result.PurgedInstanceCount, instanceId);
        return result;
    }

    /// <summary>Deletes the state and history of the finished instances that match <paramref name="filter"/>.</summary>
    /// <remarks>
    /// Only finished instances are purged: without <see cref="PurgeInstancesFilter.Statuses"/> (or with none listed)
    /// the filter matches Completed, Failed and Terminated instances. <see cref="PurgeInstancesFilter.Timeout"/>
    /// bounds the purge; the result's <see cref="PurgeResult.IsComplete"/> then tells whether it got through.
    /// </remarks>
    /// <param name="filter">The creation window, statuses and timeout.</param>
    /// <param name="options">Null, or options without <see cref="PurgeInstanceOptions.Recursive"/>.</param>
    /// <param name="cancellation">Cancels the purge before it reaches storage.</param>
    /// <returns>How many instances were purged.</returns>
    /// <exception cref="ArgumentException">A listed status is Pending, Running, Suspended or ContinuedAsNew.</exception>
    /// <exception cref="NotSupportedException"><see cref="PurgeInstanceOptions.Recursive"/> is set, or the engine's client does not implement <see cref="IOrchestrationServicePurgeClient"/>.</exception>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        RejectRecursive(options?.Recursive == true, "purge");
        var purges = Require<IOrchestrationServicePurgeClient>("purge instances");
        var statuses = filter.Statuses?.Select(status => status.ToCoreStatus()).Distinct().ToList() is { Count: > 0 } listed
            ? listed
            : [.. CoreConversions.TerminalStatuses];
        var unfinished = statuses.Where(status => !status.IsTerminal()).ToList();
        if (unfinished.Count > 0)
        {
            throw new ArgumentException(
                $"Only finished instances can be purged, but the filter lists {string.Join(", ", unfinished)}.", nameof(filter));
        }

        var coreFilter = new PurgeInstanceFilter((filter.CreatedFrom ?? DateTimeOffset.MinValue).UtcDateTime, filter.CreatedTo?.UtcDateTime, statuses)
        {
            Timeout = filter.Timeout,
        };
        cancellation.ThrowIfCancellationRequested();
        var result = ToPurgeResult(await purges.PurgeInstanceStateAsync(coreFilter));
        LogPurgedByFilter(_logger, result.PurgedInstanceCount);
        return result;
    }

    /// <summary>Does nothing: the engine's client belongs to whoever created this client.</summary>
    /// <returns>A completed task.</returns>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<OrchestrationState?> ReadStateAsync(string instanceId, bool withPayloads, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();

        // AzureStorage's own overload can skip the input, which may sit in a blob: worth it for the wait loops.
        var states = _client is AzureStorageOrchestrationService storage
            ? await storage.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: withPayloads)
            : await _client.GetOrchestrationStateAsync(instanceId, allExecutions: false);

        // AzureStorage answers an unknown id with a list holding one null.
        return states?.FirstOrDefault(state => state is not null);
    }

    private async Task<OrchestrationMetadata> WaitForStatusAsync(
        string instanceId, bool withPayloads, Func<OrchestrationStatus, bool> reached, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var backoff = new PollingBackoff();
        while (true)
        {
            var state = await ReadStateAsync(instanceId, withPayloads, cancellation)
                ?? throw new InvalidOperationException($"There is no orchestration instance '{instanceId}' to wait for.");
            if (reached(state.OrchestrationStatus))
            {
                return state.ToMetadata(_converter, withPayloads);
            }

            await Task.Delay(backoff.Next(), _time, cancellation);
        }
    }

    private Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _client.SendTaskOrchestrationMessageAsync(new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId },
            Event = historyEvent,
        });
    }

    private Dictionary<string, string> CreateTags(IReadOnlyDictionary<string, string>? requested)
    {
        var tags = requested is null ? new Dictionary<string, string>() : new Dictionary<string, string>(requested);

        // The engine's tracing starts the orchestration's trace from these two. AzureStorage stores them with the
        // instance too; CoreConversions leaves them out of the tags callers read.
        tags[OrchestrationTags.CreateTraceForNewOrchestration] = "true";
        tags[OrchestrationTags.RequestTime] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        return tags;
    }

    private T Require<T>(string operation)
        where T : class =>
        _client as T ?? throw new NotSupportedException(
            $"The engine's client ({_client.GetType().Name}) does not implement {typeof(T).Name}, so this client cannot {operation}.");

    private static void RejectRecursive(bool recursive, string operation)
    {
        if (recursive)
        {
            throw new NotSupportedException($"Recursive {operation} is not supported by the self-hosted engine client; HumanLoop graphs run no sub-orchestrations.");
        }
    }

    private static PurgeResult ToPurgeResult(CorePurgeResult result) => new(result.DeletedInstanceCount, result.IsComplete);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Debug, Message = "Scheduled orchestration {Name} as instance {InstanceId}")]
    private static partial void LogScheduled(ILogger logger, string name, string instanceId);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Information, Message = "Refused to start instance {InstanceId}: it exists with status {Status}")]
    private static partial void LogStartRefused(ILogger logger, string instanceId, OrchestrationStatus status);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Information, Message = "Purged {Count} instance(s) for instance id {InstanceId}")]
    private static partial void LogPurged(ILogger logger, int count, string instanceId);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Information, Message = "Purged {Count} finished instance(s) matching a filter")]
    private static partial void LogPurgedByFilter(ILogger logger, int count);
}
