using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Queues;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using HumanLoop.Serialization;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Dispatching;

/// <summary>
/// Drains one control queue: receives a batch, groups it by run, applies each run's messages through the machine in
/// one commit, then deletes them. A message that keeps failing turns poison after <c>maxDequeueCount</c> dequeues: it is
/// moved to <c>{hub}-poison</c> and its run fails with the reason.
/// </summary>
internal sealed partial class ControlQueueDispatcher(
    TaskHubStorage hub,
    RunProcessor processor,
    WorkSignals signals,
    TimeProvider time,
    DurableHumanLoopOptions options,
    int partition,
    ILogger logger)
{
    private QueueClient Queue => hub.Control[partition];

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = (await Queue.ReceiveMessagesAsync(options.StorageProvider.ControlQueueBatchSize, options.StorageProvider.ControlQueueVisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
                if (messages.Length > 0)
                {
                    await ProcessBatchAsync(messages, stoppingToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(10);
                    continue;
                }

                await signals.Control(partition).WaitAsync(delay, time, stoppingToken).ConfigureAwait(false);
                delay = WorkItemExecutor.Backoff(delay, options.StorageProvider.MaxQueuePollingInterval);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReceiveFailed(logger, e, Queue.Name);
                delay = WorkItemExecutor.Backoff(delay, options.StorageProvider.MaxQueuePollingInterval);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task ProcessBatchAsync(QueueMessage[] messages, CancellationToken cancellationToken)
    {
        var byRun = new Dictionary<string, List<(QueueMessage Raw, ControlEnvelope Envelope)>>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            ControlEnvelope? envelope = null;
            try
            {
                envelope = JsonSerializer.Deserialize(message.Body.ToString(), DurableJsonContext.Default.ControlEnvelope);
            }
            catch (JsonException)
            {
            }

            if (envelope?.RunId is null)
            {
                // Names no run: nothing to fail; keep it for inspection.
                LogUnreadable(logger, Queue.Name, message.MessageId);
                await MoveToPoisonAsync(message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!byRun.TryGetValue(envelope.RunId, out var list))
            {
                byRun[envelope.RunId] = list = [];
            }

            list.Add((message, envelope));
        }

        await Task.WhenAll(byRun.Select(g => ProcessRunAsync(g.Key, g.Value, cancellationToken))).ConfigureAwait(false);
    }

    private async Task ProcessRunAsync(string runId, List<(QueueMessage Raw, ControlEnvelope Envelope)> batch, CancellationToken cancellationToken)
    {
        var applied = new List<QueueMessage>();
        var runMessages = new List<RunMessage>();
        var poison = new List<string>();
        foreach (var (raw, envelope) in batch)
        {
            try
            {
                var json = envelope.Message?.GetRawText()
                    ?? await hub.PayloadStore.ResolveAsync(envelope.MessageRef ?? throw new JsonException("The control message has no body."), cancellationToken).ConfigureAwait(false);
                runMessages.Add(JsonSerializer.Deserialize(json, HumanLoopJsonContext.Default.RunMessage) ?? throw new JsonException("An empty run message."));
                applied.Add(raw);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or RequestFailedException)
            {
                if (raw.DequeueCount >= options.StorageProvider.MaxDequeueCount)
                {
                    poison.Add($"Control message {raw.MessageId} could not be processed after {raw.DequeueCount} attempts and was moved to '{hub.Names.PoisonQueue}': {e.Message}");
                    await MoveToPoisonAsync(raw, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    LogMessageFailed(logger, e, runId, raw.MessageId, raw.DequeueCount);
                }
            }
        }

        // The run fails visibly when one of its messages turned poison (Durable Functions would leave it hanging).
        runMessages.AddRange(poison.Select(reason => new AbortRun(reason)));
        if (runMessages.Count == 0)
        {
            return;
        }

        try
        {
            await processor.ApplyAsync(runId, runMessages, cancellationToken).ConfigureAwait(false);
        }
        catch (RunNotFoundException)
        {
            // Purged or never created: the messages have nothing to apply to.
            LogRunGone(logger, runId);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // Left in the queue: visible again after the visibility timeout, poison after maxDequeueCount attempts.
            var worst = batch.Max(b => b.Raw.DequeueCount);
            LogApplyFailed(logger, e, runId, worst);
            if (worst >= options.StorageProvider.MaxDequeueCount)
            {
                var reason = $"Control messages for this run failed {worst} times and were moved to '{hub.Names.PoisonQueue}': {e.GetType().Name}: {e.Message}";
                foreach (var raw in applied)
                {
                    await MoveToPoisonAsync(raw, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    await processor.ApplyAsync(runId, [new AbortRun(reason)], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception inner) when (inner is not OutOfMemoryException)
                {
                    LogApplyFailed(logger, inner, runId, worst);
                }
            }

            return;
        }

        await Task.WhenAll(applied.Select(m => DeleteAsync(m, cancellationToken))).ConfigureAwait(false);
    }

    private async Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        await hub.Poison.SendMessageAsync(message.Body.ToString(), cancellationToken).ConfigureAwait(false);
        await DeleteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Its visibility lapsed and another host received it; applying it again there changes nothing.
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Receiving from {Queue} failed; retrying")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Error, Message = "Unreadable message {MessageId} in {Queue} moved to the poison queue")]
    private static partial void LogUnreadable(ILogger logger, string queue, string messageId);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Control message {MessageId} for run {RunId} failed (dequeue {DequeueCount}); it will be retried")]
    private static partial void LogMessageFailed(ILogger logger, Exception exception, string runId, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Information, Message = "Dropping control messages for run {RunId}: no such run")]
    private static partial void LogRunGone(ILogger logger, string runId);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "Applying control messages to run {RunId} failed (dequeue {DequeueCount}); they will be retried")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string runId, long dequeueCount);
}
