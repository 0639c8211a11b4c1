using System.Globalization;
using System.Text.RegularExpressions;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Human;
using HumanLoop.Runs;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// Sends the notices of a recorded transition: a task opened (<see cref="NoticeKinds.Opened"/>), escalated to new
/// assignees (<see cref="NoticeKinds.Escalated"/>), a reminder came due (<see cref="NoticeKinds.Reminder"/>), or it
/// closed (<see cref="NoticeKinds.Closed"/>, webhooks and the queue only); by email when the step allows
/// <see cref="HumanChannel.Email"/> and SMTP is configured, and to the <c>{hub}-human-tasks</c> queue and the
/// registered webhooks when it allows <see cref="HumanChannel.Callback"/>.
/// </summary>
/// <remarks>
/// Called by the record activity after it stored the transition. Each (task, notice, channel) of email and webhooks is
/// marked sending before it goes out and sent after it went out in <c>{Hub}Notices</c>, so a repeated activity skips
/// what went out and a crash between sending and marking re-sends that notice once. A queue notice costs one message:
/// its row is written only when the call fails (so the retry skips it) and read only by a retry, so a crash re-sends
/// it at most once, and consumers dedupe on its id. An email or queue failure fails the call, so the activity is
/// retried and no notice is lost; a webhook that fails every attempt is dead-lettered instead.
/// </remarks>
public sealed partial class HumanTaskNotifier
{
    private const string QueueChannel = "queue";

    private readonly HumanTaskStore _tasks;
    private readonly NoticeLog _log;
    private readonly HumanTaskQueue _queue;
    private readonly EmailNotifier _email;
    private readonly WebhookNotifier _webhooks;
    private readonly ILogger<HumanTaskNotifier> _logger;

    internal HumanTaskNotifier(HumanTaskStore tasks, NoticeLog log, HumanTaskQueue queue, EmailNotifier email, WebhookNotifier webhooks, ILogger<HumanTaskNotifier> logger)
    {
        _tasks = tasks;
        _log = log;
        _queue = queue;
        _email = email;
        _webhooks = webhooks;
        _logger = logger;
    }

    /// <summary>Sends the notices of a recorded transition that have not gone out yet.</summary>
    /// <param name="record">What the transition recorded: its events and the tasks it opened and closed.</param>
    /// <param name="cancellationToken">Cancels the storage calls and the sending.</param>
    /// <exception cref="AggregateException">An email or a queue notice could not be sent (the other notices were still attempted).</exception>
    public async Task NotifyAsync(RecordInput record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_email.IsEnabled && !_webhooks.Any && !_queue.IsEnabled)
        {
            // Nothing is configured to send: not even the reminders' tasks are read.
            return;
        }

        var failures = new List<Exception>();
        var queued = new List<TaskNotice>();
        foreach (var notice in await CollectAsync(record, cancellationToken).ConfigureAwait(false))
        {
            await SendAsync(notice, record.IsRetry, failures, queued, cancellationToken).ConfigureAwait(false);
        }

        if (failures.Count > 0)
        {
            // The retry must not publish again what reached the queue.
            foreach (var notice in queued)
            {
                await _log.MarkDoneAsync(notice.Task.RequestId, notice.LogKey(QueueChannel), NoticeLog.Sent, _queue.Name, cancellationToken).ConfigureAwait(false);
            }

            throw new AggregateException("Some notices could not be sent; the activity is retried and sends only those.", failures);
        }
    }

    private async Task<List<TaskNotice>> CollectAsync(RecordInput record, CancellationToken cancellationToken)
    {
        var closed = (record.Closed.IsDefault ? [] : record.Closed).Select(c => c.Request.Id).ToHashSet(StringComparer.Ordinal);
        var notices = new List<TaskNotice>();
        foreach (var opened in record.Opened.IsDefault ? [] : record.Opened)
        {
            // A task answered in the transition that opened it (an answer that came early) needs no notice.
            if (closed.Contains(opened.Request.Id))
            {
                continue;
            }

            var task = HumanTaskRecord.From(record.Graph, opened.Request, null) with { Deadline = opened.Deadline };
            notices.Add(new TaskNotice(task, task.EscalationLevel > 0 ? NoticeKinds.Escalated : NoticeKinds.Opened));
        }

        foreach (var reminder in (record.Events.IsDefault ? [] : record.Events).Where(e => e.Kind == RunEventKind.ReminderDue && e.RequestId is not null))
        {
            var task = await _tasks.GetAsync(record.RunId, reminder.RequestId!, cancellationToken).ConfigureAwait(false);
            if (task is not { Status: HumanRequestStatus.Open } || closed.Contains(task.RequestId))
            {
                NotificationLogs.ReminderTaskMissing(_logger, record.RunId, reminder.RequestId!);
                continue;
            }

            notices.Add(new TaskNotice(task, NoticeKinds.Reminder, ReminderNumber(reminder)));
        }

        // Withdrawals: each task that closed here (answered on some channel, timed out, cancelled, escalated away) and
        // was announced before, that is, not opened by this very transition.
        var openedHere = (record.Opened.IsDefault ? [] : record.Opened).Select(o => o.Request.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var closedTask in record.Closed.IsDefault ? [] : record.Closed)
        {
            if (!openedHere.Contains(closedTask.Request.Id))
            {
                notices.Add(new TaskNotice(HumanTaskRecord.From(record.Graph, closedTask.Request, closedTask.Channel), NoticeKinds.Closed));
            }
        }

        return notices;
    }

    private async Task SendAsync(TaskNotice notice, bool retry, List<Exception> failures, List<TaskNotice> queued, CancellationToken cancellationToken)
    {
        var task = notice.Task;
        if (task.Channel.HasFlag(HumanChannel.Callback) && _queue.IsEnabled)
        {
            await QueueAsync(notice, retry, failures, queued, cancellationToken).ConfigureAwait(false);
        }

        if (notice.Kind != NoticeKinds.Closed && task.Channel.HasFlag(HumanChannel.Email) && _email.IsEnabled && _email.RecipientsOf(notice) is { Count: > 0 } recipients)
        {
            var detail = string.Join(", ", recipients.Select(r => r.Email));
            await OnceAsync(notice, "email", detail, failures, async () =>
            {
                await _email.SendAsync(notice, recipients, cancellationToken).ConfigureAwait(false);
                return NoticeLog.Sent;
            }, cancellationToken).ConfigureAwait(false);
        }

        if (task.Channel.HasFlag(HumanChannel.Callback))
        {
            foreach (var (name, hook) in _webhooks.For(notice.Kind))
            {
                await OnceAsync(notice, "webhook-" + name, hook.Url!.AbsoluteUri, failures, async () =>
                    await _webhooks.DeliverAsync(name, hook, notice, cancellationToken).ConfigureAwait(false) ? NoticeLog.Sent : NoticeLog.DeadLettered,
                    cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task QueueAsync(TaskNotice notice, bool retry, List<Exception> failures, List<TaskNotice> queued, CancellationToken cancellationToken)
    {
        var task = notice.Task;
        if (retry && await _log.GetAsync(task.RequestId, notice.LogKey(QueueChannel), cancellationToken).ConfigureAwait(false) is { IsDone: true })
        {
            NotificationLogs.NoticeSkipped(_logger, task.RequestId, notice.Key, QueueChannel);
            return;
        }

        try
        {
            await _queue.PublishAsync(notice.ToQueueMessage(), cancellationToken).ConfigureAwait(false);
            queued.Add(notice);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            NotificationLogs.NoticeFailed(_logger, e, task.RequestId, notice.Key, QueueChannel);
            failures.Add(e);
        }
    }

    private async Task OnceAsync(TaskNotice notice, string channel, string detail, List<Exception> failures, Func<Task<string>> send, CancellationToken cancellationToken)
    {
        var key = notice.LogKey(channel);
        var requestId = notice.Task.RequestId;
        var previous = await _log.GetAsync(requestId, key, cancellationToken).ConfigureAwait(false);
        if (previous is { IsDone: true })
        {
            NotificationLogs.NoticeSkipped(_logger, requestId, notice.Key, channel);
            return;
        }

        if (previous is not null)
        {
            NotificationLogs.NoticeResent(_logger, requestId, notice.Key, channel, previous.Attempts + 1);
        }

        await _log.MarkSendingAsync(requestId, key, previous, cancellationToken).ConfigureAwait(false);
        string status;
        try
        {
            status = await send().ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            NotificationLogs.NoticeFailed(_logger, e, requestId, notice.Key, channel);
            failures.Add(e);
            return;
        }

        await _log.MarkDoneAsync(requestId, key, status, detail, cancellationToken).ConfigureAwait(false);
        NotificationLogs.NoticeSent(_logger, requestId, notice.Key, channel, status == NoticeLog.Sent ? detail : "dead-lettered");
    }

    // The machine's reminder event says "Reminder N: ..."; its sequence number stands in when it does not.
    private static int ReminderNumber(RunEvent reminder) =>
        reminder.Message is { } message && ReminderPrefix().Match(message) is { Success: true } match
            && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : (int)Math.Min(reminder.Sequence, int.MaxValue);

    [GeneratedRegex(@"^Reminder (\d+):", RegexOptions.CultureInvariant)]
    private static partial Regex ReminderPrefix();
}
