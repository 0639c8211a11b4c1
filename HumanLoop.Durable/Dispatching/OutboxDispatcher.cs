using System.Text.Json;
using Azure.Storage.Queues.Models;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Queues;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.Timers;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Dispatching;

/// <summary>
/// Carries out committed outbox entries. Every action is idempotent or harmless when repeated, because an outbox may be
/// dispatched more than once (a host dies after dispatching but before clearing it): a repeated work item executes a
/// node again and the machine ignores the second result; a timer row is upserted by key; a repeated human-task notice
/// carries the same request id.
/// </summary>
internal sealed class OutboxDispatcher(TaskHubStorage hub, TimerStore timers, WorkSignals signals, TimeProvider time)
{
    // Leaves room for the envelope's other fields under the 64 KiB message limit.
    private const int MaxInlineMessageBytes = 48 * 1024;

    /// <summary>Set when this process runs the work-item dispatcher: new work is then executed here at once.</summary>
    public ILocalWorkSink? LocalWork { get; set; }

    /// <summary>Set when this process runs the timer service: timers due soon are then held in memory at once.</summary>
    public ILocalTimerSink? LocalTimers { get; set; }

    /// <summary>Carries out committed entries.</summary>
    /// <param name="record">The run as committed.</param>
    /// <param name="outbox">The entries to carry out.</param>
    /// <param name="mayHold">
    /// True when the entries were committed by this writer just now: a node may then start in this process with no
    /// queue message, the run row vouching for it (see <see cref="ILocalWorkSink"/>). Entries taken over from another
    /// writer always go through the queue.
    /// </param>
    /// <param name="cancellationToken">Stops the sends.</param>
    /// <returns>The keys of the entries held in this process (they stay in the run row), or null when none is.</returns>
    public async Task<HashSet<string>?> DispatchAsync(RunRecord record, IReadOnlyList<OutboxEntry> outbox, bool mayHold, CancellationToken cancellationToken)
    {
        if (outbox.Count == 1)
        {
            return await DispatchAsync(record.State, outbox[0], mayHold, cancellationToken).ConfigureAwait(false) ? null : [outbox[0].Key];
        }

        var done = await Task.WhenAll(outbox.Select(e => DispatchAsync(record.State, e, mayHold, cancellationToken))).ConfigureAwait(false);
        HashSet<string>? held = null;
        for (int i = 0; i < done.Length; i++)
        {
            if (!done[i])
            {
                (held ??= new(StringComparer.Ordinal)).Add(outbox[i].Key);
            }
        }

        return held;
    }

    /// <summary>Sends a node's work item to the queue: visible at once, or invisible for <paramref name="visibilityTimeout"/> while this process keeps running it.</summary>
    public async Task<SendReceipt> SendWorkItemAsync(WorkItem item, TimeSpan? visibilityTimeout, CancellationToken cancellationToken)
    {
        var text = JsonSerializer.Serialize(item, DurableJsonContext.Default.WorkItem);
        if (StorageLimits.MeasureBytes(text) > MaxInlineMessageBytes)
        {
            var reference = await hub.PayloadStore.OffloadIfLargeAsync(item.State!.Value.GetRawText(), $"{item.RunId}/work/{item.TaskId}", 0, cancellationToken).ConfigureAwait(false);
            text = JsonSerializer.Serialize(item with { State = null, StateRef = reference }, DurableJsonContext.Default.WorkItem);
        }

        var receipt = await hub.WorkItems.SendMessageAsync(text, visibilityTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (visibilityTimeout is null)
        {
            signals.WorkItems.Set();
        }

        return receipt.Value;
    }

    /// <summary>Queues a control message for a run and wakes this process's dispatcher of its partition.</summary>
    public async Task SendControlAsync(string runId, RunMessage message, CancellationToken cancellationToken)
    {
        await hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var json = JsonSerializer.Serialize(message, DurableJsonContext.Default.RunMessage);
        ControlEnvelope envelope;
        if (StorageLimits.MeasureBytes(json) > MaxInlineMessageBytes)
        {
            var reference = await hub.PayloadStore.OffloadIfLargeAsync(json, $"{runId}/control/{Guid.NewGuid():N}", 0, cancellationToken).ConfigureAwait(false);
            envelope = new ControlEnvelope(runId, MessageRef: reference);
        }
        else
        {
            envelope = new ControlEnvelope(runId, JsonDocument.Parse(json).RootElement);
        }

        await hub.ControlQueueFor(runId).SendMessageAsync(JsonSerializer.Serialize(envelope, DurableJsonContext.Default.ControlEnvelope), cancellationToken).ConfigureAwait(false);
        signals.Control(hub.Names.PartitionOf(runId)).Set();
    }

    /// <returns>False when the entry is held in this process rather than carried out durably elsewhere.</returns>
    private async Task<bool> DispatchAsync(RunState state, OutboxEntry entry, bool mayHold, CancellationToken cancellationToken)
    {
        switch (entry.Effect)
        {
            case RunNode node:
                var item = new WorkItem(state.RunId, state.Graph, node.TaskId, node.Node, node.Attempt, node.State);
                if (mayHold && LocalWork is { } local && local.TryReserve())
                {
                    // Executed here at once with no queue message: the committed outbox entry is its durable record
                    // until its result is committed (which drops the entry) or it runs long and is handed to the queue.
                    // If this process dies first, the recovery sweep dispatches the entry again after the recovery age.
                    local.Start(item, entry.Key);
                    return false;
                }

                await SendWorkItemAsync(item, null, cancellationToken).ConfigureAwait(false);
                return true;
            case ScheduleTimer schedule:
                await AddTimerAsync(new DurableTimer(state.RunId, schedule.TimerId, schedule.DueAt), cancellationToken).ConfigureAwait(false);
                return true;
            case CancelTimer cancel when entry.DueAt is { } due:
                await RemoveTimerAsync(new DurableTimer(state.RunId, cancel.TimerId, due), cancellationToken).ConfigureAwait(false);
                return true;
            case OpenHumanRequest open:
                await PublishAsync(new HumanTaskNotice("opened", state.RunId, open.Request.Id, open.Request.Status, open.Request), cancellationToken).ConfigureAwait(false);
                return true;
            case CloseHumanRequest close:
                await PublishAsync(new HumanTaskNotice("closed", state.RunId, close.RequestId, close.Status), cancellationToken).ConfigureAwait(false);
                return true;
            default:
                return true;
        }
    }

    private async Task AddTimerAsync(DurableTimer timer, CancellationToken cancellationToken)
    {
        await timers.AddAsync(timer, cancellationToken).ConfigureAwait(false);
        LocalTimers?.Track(timer, time.GetUtcNow());
    }

    private async Task RemoveTimerAsync(DurableTimer timer, CancellationToken cancellationToken)
    {
        LocalTimers?.Untrack(timer);
        await timers.RemoveAsync(timer, cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishAsync(HumanTaskNotice notice, CancellationToken cancellationToken)
    {
        var text = JsonSerializer.Serialize(notice, DurableJsonContext.Default.HumanTaskNotice);
        if (StorageLimits.MeasureBytes(text) > MaxInlineMessageBytes)
        {
            // Too large to publish whole: readers fetch the request through the client.
            text = JsonSerializer.Serialize(notice with { Request = null }, DurableJsonContext.Default.HumanTaskNotice);
        }

        await hub.HumanTasks.SendMessageAsync(text, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The work-item executor of this process, seen from the outbox.</summary>
internal interface ILocalWorkSink
{
    /// <summary>Takes an execution slot if one is free.</summary>
    bool TryReserve();

    /// <summary>Starts a node in a reserved slot; <paramref name="outboxKey"/> names the run row's outbox entry that vouches for it.</summary>
    void Start(WorkItem item, string outboxKey);
}

/// <summary>The timer service of this process, seen from the outbox.</summary>
internal interface ILocalTimerSink
{
    void Track(DurableTimer timer, DateTimeOffset now);

    void Untrack(DurableTimer timer);
}
