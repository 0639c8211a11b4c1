using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues.Models;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Queues;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Dispatching;

/// <summary>
/// Executes nodes at least once, from the <c>{hub}-workitems</c> queue and from this process's own commits. A queued
/// node's message is deleted only after its result is committed, and kept invisible (renewed) while the node runs. A
/// node this process committed starts at once with no message: the run row's outbox entry vouches for it until its
/// result commit drops the entry; if it runs past half the recovery age it is handed to the queue (an invisible,
/// renewed message) so that the entry can go. The result is applied exactly once because the machine accepts it only
/// while its task id is outstanding.
/// </summary>
internal sealed partial class WorkItemExecutor : ILocalWorkSink, IDisposable
{
    private readonly TaskHubStorage _hub;
    private readonly RunProcessor _processor;
    private readonly OutboxDispatcher _outbox;
    private readonly IGraphCatalog _graphs;
    private readonly WorkSignals _signals;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly DurableHumanLoopOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Execution, byte> _running = new();
    private readonly CancellationTokenSource _abort = new();
    private volatile bool _stopping;

    public WorkItemExecutor(TaskHubStorage hub, RunProcessor processor, OutboxDispatcher outbox, IGraphCatalog graphs, WorkSignals signals, TimeProvider time, IServiceProvider services, IOptions<DurableHumanLoopOptions> options, ILogger<WorkItemExecutor> logger)
    {
        _hub = hub;
        _processor = processor;
        _outbox = outbox;
        _graphs = graphs;
        _signals = signals;
        _time = time;
        _services = services;
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxConcurrentNodes, _options.MaxConcurrentNodes);
    }

    /// <summary>How many node executions this process has started (for tests and benchmarks).</summary>
    public long Executions => Interlocked.Read(ref _executions);

    private long _executions;

    public bool TryReserve() => !_stopping && _slots.Wait(0, CancellationToken.None);

    public void Start(WorkItem item, string outboxKey) => Launch(new Execution(item, outboxKey));

    /// <summary>Receives work items until <paramref name="stoppingToken"/> fires, backing off while the queue is empty.</summary>
    public async Task ReceiveLoopAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                int free = 1 + Math.Min(_slots.CurrentCount, 31);
                for (int i = 1; i < free; i++)
                {
                    // Reserve as many slots as we ask for; the spare ones are handed back below.
                    if (!_slots.Wait(0, CancellationToken.None))
                    {
                        free = i;
                        break;
                    }
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await _hub.WorkItems.ReceiveMessagesAsync(free, _options.StorageProvider.WorkItemQueueVisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
                }
                catch
                {
                    _slots.Release(free);
                    throw;
                }

                if (messages.Length < free)
                {
                    _slots.Release(free - messages.Length);
                }

                foreach (var message in messages)
                {
                    Launch(new Execution(message.MessageId, message.PopReceipt, message.DequeueCount, message.Body.ToString()));
                }

                if (messages.Length > 0)
                {
                    delay = TimeSpan.FromMilliseconds(10);
                    continue;
                }

                await _signals.WorkItems.WaitAsync(delay, _time, stoppingToken).ConfigureAwait(false);
                delay = Backoff(delay, _options.StorageProvider.MaxQueuePollingInterval);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReceiveFailed(_logger, e);
                delay = Backoff(delay, _options.StorageProvider.MaxQueuePollingInterval);
                await SafeDelayAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops taking work, waits up to the grace period for running nodes, then cancels them and releases their messages.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var all = _running.Keys.Select(e => e.Completion.Task).ToArray();
        if (all.Length == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(all).WaitAsync(_options.ShutdownGracePeriod, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_running.Keys.Select(x => x.Completion.Task)).WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _abort.Dispose();
        _slots.Dispose();
    }

    internal static TimeSpan Backoff(TimeSpan delay, TimeSpan max) => delay * 2 > max ? max : delay * 2;

    /// <summary>
    /// Runs the execution on the thread pool: a node's synchronous part must not hold up the caller, which may be a
    /// commit still holding its run's lock (and answering an HTTP request) or the receive loop.
    /// </summary>
    private void Launch(Execution execution)
    {
        _running.TryAdd(execution, 0);
        _ = Task.Run(() => RunAsync(execution));
    }

    private async Task RunAsync(Execution execution)
    {
        try
        {
            await ExecuteAsync(execution).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The message was not deleted: it becomes visible again and is retried (or turns poison).
            LogExecutionFailed(_logger, e, execution.MessageId ?? execution.Item?.TaskId ?? "?");
        }
        finally
        {
            _running.TryRemove(execution, out _);
            _slots.Release();
            execution.Completion.TrySetResult();
        }
    }

    private async Task ExecuteAsync(Execution execution)
    {
        var item = execution.Item ?? JsonSerializer.Deserialize(execution.Body!, DurableJsonContext.Default.WorkItem)
            ?? throw new JsonException("An empty work item.");
        if (execution.DequeueCount > _options.StorageProvider.MaxDequeueCount)
        {
            await PoisonAsync(execution, item).ConfigureAwait(false);
            return;
        }

        // A duplicate (an outbox dispatched twice) or a result already applied: skip the node.
        var cached = _processor.TryGetCached(item.RunId);
        if (cached is not null && !RunProcessor.IsOutstanding(cached, item.TaskId))
        {
            // The cache may be behind another host's commit: only a fresh read can show the task is really done.
            var current = await _processor.RefreshAsync(item.RunId, _abort.Token).ConfigureAwait(false);
            if (current is null || !RunProcessor.IsOutstanding(current, item.TaskId))
            {
                await DeleteAsync(execution).ConfigureAwait(false);
                return;
            }
        }

        var graph = _graphs.Find(item.Graph) ?? throw new UnknownGraphException(item.Graph);
        var state = item.State ?? JsonDocument.Parse(await _hub.PayloadStore.ResolveAsync(item.StateRef!, _abort.Token).ConfigureAwait(false)).RootElement;
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        var renewing = RenewAsync(execution, item, renewal.Token);
        RunMessage result;
        Interlocked.Increment(ref _executions);
        try
        {
            var context = new NodeContext(item.RunId, item.Node, item.Attempt, _services, _abort.Token);
            var output = await graph.ExecuteNodeAsync(item.Node, state, context).ConfigureAwait(false);
            result = new NodeCompleted(item.TaskId, output);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutting down: hand the work to another host rather than record a failure.
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            await ReleaseAsync(execution, item).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result = new NodeFailed(item.TaskId, $"{e.GetType().Name}: {e.Message}", graph.ShouldRetry(item.Node, e));
        }

        try
        {
            await ApplyWithRetryAsync(item.RunId, result).ConfigureAwait(false);
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }

        await DeleteAsync(execution).ConfigureAwait(false);
    }

    /// <summary>Applies a node result, retrying through storage outages for as long as this process runs.</summary>
    private async Task ApplyWithRetryAsync(string runId, RunMessage result)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await _processor.ApplyAsync(runId, [result], _abort.Token).ConfigureAwait(false);
                return;
            }
            catch (RunNotFoundException)
            {
                return; // Purged meanwhile.
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException or AggregateException or OperationCanceledException && !_abort.IsCancellationRequested)
            {
                LogApplyRetry(_logger, e, runId);
                await SafeDelayAsync(delay, _abort.Token).ConfigureAwait(false);
                delay = Backoff(delay, TimeSpan.FromSeconds(2));
            }
        }
    }

    private async Task PoisonAsync(Execution execution, WorkItem item)
    {
        var reason = $"The work item for node '{item.Node}' (task {item.TaskId}) was dequeued {execution.DequeueCount} times without completing (more than maxDequeueCount {_options.StorageProvider.MaxDequeueCount}); it was moved to '{_hub.Names.PoisonQueue}'.";
        LogPoison(_logger, item.RunId, reason);
        await _hub.Poison.SendMessageAsync(execution.Body ?? JsonSerializer.Serialize(item, DurableJsonContext.Default.WorkItem)).ConfigureAwait(false);
        try
        {
            await _processor.ApplyAsync(item.RunId, [new NodeFailed(item.TaskId, reason, Retryable: false)], _abort.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RunNotFoundException or UnknownGraphException)
        {
            // Nothing to fail.
        }

        await DeleteAsync(execution).ConfigureAwait(false);
    }

    private async Task RenewAsync(Execution execution, WorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            if (execution.MessageId is null)
            {
                // Started here from this process's commit: hand it to the queue if it is still running by half the
                // recovery age, before any host could take the run row's entry for abandoned work.
                var wait = _options.RecoveryAge / 2;
                do
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    wait = TimeSpan.FromSeconds(1);
                }
                while (!await HandOffAsync(execution, item, _options.StorageProvider.WorkItemQueueVisibilityTimeout).ConfigureAwait(false));
            }

            var every = _options.StorageProvider.WorkItemQueueVisibilityTimeout / 2;
            while (true)
            {
                await Task.Delay(every, _time, cancellationToken).ConfigureAwait(false);
                try
                {
                    var receipt = await _hub.WorkItems.UpdateMessageAsync(execution.MessageId!, execution.PopReceipt!, visibilityTimeout: _options.StorageProvider.WorkItemQueueVisibilityTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                    execution.PopReceipt = receipt.Value.PopReceipt;
                }
                catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
                {
                    LogRenewFailed(_logger, e, execution.MessageId!);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Sends the work item of a node started here to the queue (invisible for <paramref name="visibility"/>), then drops
    /// its entry from the run row. False when the send failed.
    /// </summary>
    private async Task<bool> HandOffAsync(Execution execution, WorkItem item, TimeSpan visibility)
    {
        try
        {
            // Not cancelled midway: a message sent but never known here would run the node again when it turns visible.
            var receipt = await _outbox.SendWorkItemAsync(item, visibility, CancellationToken.None).ConfigureAwait(false);
            execution.MessageId = receipt.MessageId;
            execution.PopReceipt = receipt.PopReceipt;
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
        {
            LogHandOffFailed(_logger, e, item.RunId, item.TaskId);
            return false;
        }

        try
        {
            await _processor.ReleaseHeldAsync(item.RunId, execution.OutboxKey!, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The entry stays; after the recovery age it is dispatched again and the repeat is skipped or ignored.
            LogHandOffFailed(_logger, e, item.RunId, item.TaskId);
        }

        return true;
    }

    private async Task DeleteAsync(Execution execution)
    {
        if (execution.MessageId is null)
        {
            return; // Never queued: the result commit dropped its outbox entry.
        }

        try
        {
            await _hub.WorkItems.DeleteMessageAsync(execution.MessageId, execution.PopReceipt!).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Its visibility lapsed and another host took it; that host's result will be ignored.
        }
    }

    /// <summary>Makes an interrupted node's work available to another host at once.</summary>
    private async Task ReleaseAsync(Execution execution, WorkItem item)
    {
        if (execution.MessageId is null)
        {
            await HandOffAsync(execution, item, TimeSpan.Zero).ConfigureAwait(false);
            return;
        }

        try
        {
            await _hub.WorkItems.UpdateMessageAsync(execution.MessageId, execution.PopReceipt!, visibilityTimeout: TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRenewFailed(_logger, e, execution.MessageId);
        }
    }

    private async Task SafeDelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Execution
    {
        /// <summary>A work item received from the queue.</summary>
        public Execution(string messageId, string popReceipt, long dequeueCount, string body)
        {
            MessageId = messageId;
            PopReceipt = popReceipt;
            DequeueCount = dequeueCount;
            Body = body;
        }

        /// <summary>A node this process started from its own commit, vouched for by the outbox entry <paramref name="outboxKey"/>.</summary>
        public Execution(WorkItem item, string outboxKey)
        {
            Item = item;
            OutboxKey = outboxKey;
        }

        public WorkItem? Item { get; }

        public string? OutboxKey { get; }

        /// <summary>The queue message, once there is one (for a node started here: once handed off).</summary>
        public string? MessageId { get; set; }

        public string? PopReceipt { get; set; }

        public long DequeueCount { get; }

        public string? Body { get; }

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Receiving work items failed; retrying")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Work item {MessageId} failed; it will be retried")]
    private static partial void LogExecutionFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Applying a node result to run {RunId} failed; retrying")]
    private static partial void LogApplyRetry(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Poison work item for run {RunId}: {Reason}")]
    private static partial void LogPoison(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "Renewing or releasing work item {MessageId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "Handing node task {TaskId} of run {RunId} to the work-item queue failed")]
    private static partial void LogHandOffFailed(ILogger logger, Exception exception, string runId, string taskId);
}
