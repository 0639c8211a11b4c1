using System.Text.Json;
using Azure.Storage.Queues;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>
/// The <c>{hub}-human-tasks</c> queue: a <see cref="HumanTaskNotice"/> per notice of a task whose step allows the
/// callback channel, for external systems that take tasks from a queue (schema in docs/storage.md).
/// </summary>
public sealed class HumanTaskQueue
{
    // A queue message holds 64 KiB; a notice whose task is larger goes out without it.
    private const int MaxNoticeChars = 48_000;

    private readonly QueueClient _queue;

    /// <summary>Creates the queue of one hub.</summary>
    /// <param name="queues">The account's Queue service.</param>
    /// <param name="names">The hub's names.</param>
    /// <param name="enabled">Whether notices are published (host.json <c>extensions.humanLoop.publishHumanTasks</c>).</param>
    public HumanTaskQueue(QueueServiceClient queues, TaskHubNames names, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(names);
        _queue = queues.GetQueueClient(names.HumanTasksQueue);
        IsEnabled = enabled;
    }

    /// <summary>The queue's name.</summary>
    public string Name => _queue.Name;

    /// <summary>Whether notices are published.</summary>
    public bool IsEnabled { get; }

    /// <summary>Creates the queue if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Sends one notice (nothing when publishing is off). Delivery is at least once: consumers dedupe on <see cref="HumanTaskNotice.Id"/>.</summary>
    /// <param name="notice">The notice; its task is left out when the message would not fit.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task PublishAsync(HumanTaskNotice notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (!IsEnabled)
        {
            return;
        }

        var text = JsonSerializer.Serialize(notice with { Task = notice.Task is { } task ? task with { State = null } : null }, DurableJsonContext.Default.HumanTaskNotice);
        if (text.Length > MaxNoticeChars)
        {
            text = JsonSerializer.Serialize(notice with { Task = null }, DurableJsonContext.Default.HumanTaskNotice);
        }

        await _queue.SendMessageAsync(text, cancellationToken).ConfigureAwait(false);
    }
}
