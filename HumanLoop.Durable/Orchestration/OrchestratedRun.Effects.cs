using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;
using Microsoft.DurableTask;

namespace HumanLoop.Durable.Orchestration;

/// <summary>Carrying out the run machine's effects as Durable Functions actions.</summary>
internal sealed partial class OrchestratedRun
{
    private readonly Dictionary<string, (CancellationTokenSource Cancellation, PendingTask Pending)> _timers = new(StringComparer.Ordinal);
    private readonly List<RecordRetry> _recordRetries = [];

    // The node activity out with a look-ahead, and what the run recorded since it was scheduled; then, once its result
    // is in, that look-ahead with the keys of what it stored, for the transition its completion makes.
    private LookAhead? _lookAhead;
    private (LookAhead LookAhead, RecordKeys Recorded)? _recordedAhead;

    private void CarryOut(Transition transition, HumanResponse? cause, (LookAhead LookAhead, RecordKeys Recorded)? recordedAhead)
    {
        var nodes = new List<RunNode>();
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case RunNode node:
                    nodes.Add(node);
                    break;
                case OpenHumanRequest open:
                    ArmWait(open.Request.Id);
                    break;
                case ScheduleTimer schedule:
                    StartTimer(schedule.TimerId, schedule.DueAt);
                    break;
                case CancelTimer cancel:
                    CancelTimer(cancel.TimerId);
                    break;
            }
        }

        var record = TransitionRecords.Build(_graph.Name, transition, cause);
        _lookAhead?.Note(record);
        if (recordedAhead is var (ahead, recorded))
        {
            if (ahead.PendingNotices is { } pendingNotices)
            {
                CallRecord(pendingNotices.Merge(record) with { NotifyOnly = true });
            }

            record = ahead.AppliedAtCall == _appliedThisGeneration - 1 && recorded.SameAs(TransitionRecords.Keys(record))
                ? record with { Events = [], Opened = [], Closed = [] } // the activity stored exactly these records
                : ahead.PutRight(record, recorded);
        }

        var carried = record.IsEmpty ? null : record;

        // A lone node with nothing else under way looks ahead: its activity records the transition its completion
        // makes (the request it opens, the run's end), so no record activity and no extra episode follow it. Open requests and timers are what could reach the run before the node's completion; with none, only an early
        // answer can, and that changes no records.
        bool lookAhead = nodes.Count == 1 && _timers.Count == 0 && !_state.OpenRequests.Any()
            && !_pending.Any(p => p.Kind is PendingKind.Node or PendingKind.Record);
        foreach (var node in nodes)
        {
            // The first node activity stores the transition's records while it runs the node, saving an activity.
            CallNode(node, carried, lookAhead);
            carried = null;
        }

        if (carried is not null)
        {
            CallRecord(carried);
        }
    }

    /// <summary>A node's completion that changed nothing here, although its activity looked ahead and stored records.</summary>
    private void PutRightLookAhead((LookAhead LookAhead, RecordKeys Recorded) recordedAhead)
    {
        if (recordedAhead.LookAhead.PendingNotices is { } pendingNotices)
        {
            CallRecord(pendingNotices with { NotifyOnly = true });
        }

        var record = recordedAhead.LookAhead.PutRight(new RecordInput { Graph = _graph.Name, RunId = _state.RunId }, recordedAhead.Recorded);
        if (!record.IsEmpty)
        {
            CallRecord(record);
        }
    }

    private void CallNode(RunNode node, RecordInput? records, bool lookAhead = false)
    {
        var input = new NodeActivityInput
        {
            Graph = _graph.Name,
            RunId = _state.RunId,
            Node = node.Node,
            TaskId = node.TaskId,
            Attempt = node.Attempt,
            State = node.State,
            Records = records,
            LookAhead = lookAhead ? _state : null,
        };
        // The node's own failures come back as a result and follow the graph's retry policy; the activity itself
        // fails only when its records could not be stored or it could not run, and that is retried here.
        var task = _context.CallActivityAsync<JsonElement>(
            HumanLoopTaskNames.RunNode,
            JsonSerializer.SerializeToElement(input, DurableJsonContext.Default.NodeActivityInput),
            InfrastructureRetry);
        var ahead = lookAhead ? _lookAhead = new LookAhead(_appliedThisGeneration) : null;
        _pending.Add(new PendingTask(PendingKind.Node, task, done => NodeMessage(node.TaskId, done, records, ahead)));
    }

    private RunMessage NodeMessage(string taskId, Task done, RecordInput? carried, LookAhead? ahead)
    {
        var task = (Task<JsonElement>)done;
        if (ahead is not null && ReferenceEquals(ahead, _lookAhead))
        {
            _lookAhead = null;
        }

        if (task.IsCompletedSuccessfully)
        {
            var result = task.Result.Deserialize(DurableJsonContext.Default.NodeActivityResult);
            _recordedAhead = ahead is not null && result?.Recorded is { } recorded ? (ahead, recorded) : null;
            if (result?.NoticesPending == true)
            {
                // The node's activity stored its records but could not send their notices (the mail server or a webhook
                // is down); a record activity sends them, with its own retries, once the look-ahead's are known too.
                if (_recordedAhead is { } pending)
                {
                    pending.LookAhead.PendingNotices = carried ?? new RecordInput { Graph = _graph.Name, RunId = _state.RunId };
                }
                else if (carried is not null)
                {
                    CallRecord(carried with { NotifyOnly = true });
                }
            }

            return result?.Output is { } output
                ? new NodeCompleted(taskId, output)
                : new NodeFailed(taskId, result?.Error ?? "The node returned no state.", result?.Retryable ?? true);
        }

        // The activity itself failed (not the node's code, which the activity reports as a result): the worker lost
        // it, or the host could not run it. Such failures are worth another attempt.
        var error = task.Exception?.InnerException is TaskFailedException failed
            ? failed.FailureDetails.ErrorMessage
            : task.Exception?.InnerException?.Message ?? "The node activity was cancelled.";
        return new NodeFailed(taskId, error, Retryable: true);
    }

    private void CallRecord(RecordInput record)
    {
        // Storage or a mail server may be briefly unavailable. The orchestrator retries a failed record itself, not
        // through a retry policy, so each attempt carries its number (the notifier reads what an earlier attempt sent
        // only on a retry): first quickly, then, once those attempts are spent, on a slower durable timer for as long
        // as the run lives, so no event, task row or notice is given up. A record that keeps failing never fails the run.
        var task = _context.CallActivityAsync(
            HumanLoopTaskNames.Record,
            JsonSerializer.SerializeToElement(record, DurableJsonContext.Default.RecordInput));
        _pending.Add(new PendingTask(PendingKind.Record, task, done =>
        {
            if (!done.IsCompletedSuccessfully)
            {
                RetryRecord(record, done);
            }

            return null;
        }));
    }

    private void RetryRecord(RecordInput record, Task failed)
    {
        var retry = _options.RecordRetry;
        bool quick = record.Attempt < retry.QuickAttempts;
        var delay = quick
            ? Backoff(retry.FirstInterval, record.Attempt - 1, retry.MaxQuickInterval)
            : Backoff(retry.SlowInterval, record.Attempt - retry.QuickAttempts, retry.MaxSlowInterval);
        if (!quick)
        {
            var error = failed.Exception?.InnerException is TaskFailedException e ? e.FailureDetails.ErrorMessage : failed.Exception?.InnerException?.Message;
            LogRecordRetrying(_context.CreateReplaySafeLogger<GraphOrchestrator>(), _state.RunId, record.Attempt, error ?? "cancelled", delay);
        }

        // A quick retry holds back ContinueAsNew like the activity it follows; a slow one is carried over instead.
        var next = record with { Attempt = record.Attempt + 1 };
        var cancellation = new CancellationTokenSource();
        var timer = _context.CreateTimer(Now.Add(delay).UtcDateTime, cancellation.Token);
        RecordRetry? entry = null;
        var pending = new PendingTask(quick ? PendingKind.Record : PendingKind.RecordRetry, timer, done =>
        {
            _recordRetries.Remove(entry!);
            entry!.Cancellation.Dispose();
            if (done.IsCompletedSuccessfully)
            {
                CallRecord(next);
            }

            return null;
        });
        entry = new RecordRetry(next, cancellation, pending);
        _recordRetries.Add(entry);
        _pending.Add(pending);
    }

    private static TimeSpan Backoff(TimeSpan first, int doublings, TimeSpan max) =>
        TimeSpan.FromTicks((long)Math.Min(max.Ticks, first.Ticks * Math.Pow(2, Math.Min(doublings, 30))));

    /// <summary>
    /// Stops waiting for the record retries' timers and returns their records, for the run's end (they are tried once
    /// more at once) or the next generation (which tries them as it starts).
    /// </summary>
    private List<RecordInput> TakeRecordRetries()
    {
        var records = new List<RecordInput>();
        foreach (var retry in _recordRetries)
        {
            retry.Cancellation.Cancel();
            retry.Cancellation.Dispose();
            _pending.Remove(retry.Pending);
            records.Add(retry.Record);
        }

        _recordRetries.Clear();
        return records;
    }

    /// <summary>The granularity of a queue message's visibility delay on Azure Storage: whole seconds.</summary>
    private static readonly TimeSpan QueueDelayResolution = TimeSpan.FromSeconds(1);

    private static readonly TaskOptions InfrastructureRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>A failed record waiting on its timer for its next attempt.</summary>
    private sealed record RecordRetry(RecordInput Record, CancellationTokenSource Cancellation, PendingTask Pending);

    private void StartTimer(string timerId, DateTimeOffset dueAt)
    {
        CancelTimer(timerId);
        var cancellation = new CancellationTokenSource();

        // Azure Storage queues take a timer message's delay in whole seconds, rounded down, so a timer set for its due
        // time comes up to a second early, and one set again for the rest of that second comes at once, again and
        // again until the time has passed (29 episodes for a 2 s deadline). Set a second later, its whole seconds
        // always reach past the due time: it comes once, up to a second late. The SDK chains timers longer than the
        // backend's maximum interval into several.
        var task = _context.CreateTimer(dueAt.UtcDateTime + QueueDelayResolution, cancellation.Token);
        var pending = new PendingTask(PendingKind.Timer, task, done => TimerMessage(timerId, dueAt, done), () => ForgetTimer(timerId, task));
        _timers[timerId] = (cancellation, pending);
        _pending.Add(pending);
    }

    private TimerFired? TimerMessage(string timerId, DateTimeOffset dueAt, Task done)
    {
        if (!done.IsCompletedSuccessfully)
        {
            return null;
        }

        // A deadline must not apply early (an answer given in that second would be refused): a timer that came before
        // its time all the same (a host whose clock runs behind) waits out the rest. The decision reads the
        // orchestration's clock: replay-safe.
        if (Now < dueAt)
        {
            StartTimer(timerId, dueAt);
            return null;
        }

        return new TimerFired(timerId);
    }

    private void CancelTimer(string timerId)
    {
        if (!_timers.Remove(timerId, out var timer))
        {
            return;
        }

        // A cancelled timer's task is no longer waited on; its firing, should the backend still deliver it, is ignored.
        timer.Cancellation.Cancel();
        timer.Cancellation.Dispose();
        _pending.Remove(timer.Pending);
    }

    private void ForgetTimer(string timerId, Task fired)
    {
        // An early timer has been started again under its id by then: that one stays.
        if (_timers.TryGetValue(timerId, out var timer) && ReferenceEquals(timer.Pending.Task, fired))
        {
            _timers.Remove(timerId);
            timer.Cancellation.Dispose();
        }
    }

    private void CancelAllTimers()
    {
        foreach (var id in _timers.Keys.ToList())
        {
            CancelTimer(id);
        }
    }
}
