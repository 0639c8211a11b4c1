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

    public Task DispatchAsync(RunRecord record, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken)
    {
        if (outbox.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (outbox.Count == 1)
        {
            return DispatchAsync(record.State, outbox[0], cancellationToken);
        }

        return Task.WhenAll(outbox.Select(e => DispatchAsync(record.State, e, cancellationToken)));
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

    private Task DispatchAsync(RunState state, OutboxEntry entry, CancellationToken cancellationToken) => entry.Effect switch
    {
        RunNode node => EnqueueNodeAsync(state, node, cancellationToken),
        ScheduleTimer schedule => AddTimerAsync(new DurableTimer(state.RunId, schedule.TimerId, schedule.DueAt), cancellationToken),
        CancelTimer cancel when entry.DueAt is { } due => RemoveTimerAsync(new DurableTimer(state.RunId, cancel.TimerId, due), cancellationToken),
        OpenHumanRequest open => PublishAsync(new HumanTaskNotice("opened", state.RunId, open.Request.Id, open.Request.Status, open.Request), cancellationToken),
        CloseHumanRequest close => PublishAsync(new HumanTaskNotice("closed", state.RunId, close.RequestId, close.Status), cancellationToken),
        _ => Task.CompletedTask,
    };

    private async Task EnqueueNodeAsync(RunState state, RunNode node, CancellationToken cancellationToken)
    {
        var item = new WorkItem(state.RunId, state.Graph, node.TaskId, node.Node, node.Attempt, node.State);
        var text = JsonSerializer.Serialize(item, DurableJsonContext.Default.WorkItem);
        if (StorageLimits.MeasureBytes(text) > MaxInlineMessageBytes)
        {
            var reference = await hub.PayloadStore.OffloadIfLargeAsync(node.State.GetRawText(), $"{state.RunId}/work/{node.TaskId}", 0, cancellationToken).ConfigureAwait(false);
            item = item with { State = null, StateRef = reference };
            text = JsonSerializer.Serialize(item, DurableJsonContext.Default.WorkItem);
        }

        if (LocalWork is { } local && local.TryReserve())
        {
            // Executed here at once, while its message is sent invisible (renewed while the node runs): if this
            // process dies, another host receives the message when its visibility lapses, or, if it was never sent,
            // recovery dispatches the committed outbox entry again.
            var sending = hub.WorkItems.SendMessageAsync(text, local.VisibilityTimeout, cancellationToken: cancellationToken);
            local.Start(item, sending);
            await sending.ConfigureAwait(false);
            return;
        }

        await hub.WorkItems.SendMessageAsync(text, cancellationToken).ConfigureAwait(false);
        signals.WorkItems.Set();
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
    TimeSpan VisibilityTimeout { get; }

    bool TryReserve();

    void Unreserve();

    void Start(WorkItem item, Task<Azure.Response<SendReceipt>> sending);
}

/// <summary>The timer service of this process, seen from the outbox.</summary>
internal interface ILocalTimerSink
{
    void Track(DurableTimer timer, DateTimeOffset now);

    void Untrack(DurableTimer timer);
}
