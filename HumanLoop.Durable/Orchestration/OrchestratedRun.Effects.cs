using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;
using Microsoft.DurableTask;

namespace HumanLoop.Durable.Orchestration;

/// <summary>Carrying out the run machine's effects as Durable Functions actions.</summary>
internal sealed partial class OrchestratedRun
{
    private readonly Dictionary<string, (CancellationTokenSource Cancellation, PendingTask Pending)> _timers = new(StringComparer.Ordinal);

    private void CarryOut(Transition transition, HumanResponse? cause)
    {
        var events = ImmutableArray.CreateBuilder<RunEvent>();
        var opened = ImmutableArray.CreateBuilder<OpenedTask>();
        var closed = ImmutableArray.CreateBuilder<ClosedTask>();
        var nodes = new List<RunNode>();
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case RunNode node:
                    nodes.Add(node);
                    break;
                case OpenHumanRequest open:
                    opened.Add(new OpenedTask(open.Request, TokenState(open.Request.TokenId), Deadline(open.Request.TokenId)));
                    ArmWait(open.Request.Id);
                    break;
                case CloseHumanRequest close when _state.Requests.FirstOrDefault(r => r.Id == close.RequestId) is { } request:
                    // The channel is the answer's that this transition accepted for this very request, if any.
                    var acceptedHere = transition.Response is { Status: ResponseStatus.Accepted, Request.Id: var id } && id == request.Id;
                    closed.Add(new ClosedTask(request, acceptedHere ? cause?.Channel : null));
                    break;
                case ScheduleTimer schedule:
                    StartTimer(schedule.TimerId, schedule.DueAt);
                    break;
                case CancelTimer cancel:
                    CancelTimer(cancel.TimerId);
                    break;
                case AppendEvent append:
                    events.Add(append.Event);
                    break;
            }
        }

        var record = new RecordInput
        {
            Graph = _graph.Name,
            RunId = _state.RunId,
            Events = events.ToImmutable(),
            Opened = opened.ToImmutable(),
            Closed = closed.ToImmutable(),
        };
        var carried = record.IsEmpty ? null : record;
        foreach (var node in nodes)
        {
            // The first node activity stores the transition's records while it runs the node, saving an activity.
            CallNode(node, carried);
            carried = null;
        }

        if (carried is not null)
        {
            CallRecord(carried);
        }
    }

    private void CallNode(RunNode node, RecordInput? records)
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
        };
        // The node's own failures come back as a result and follow the graph's retry policy; the activity itself
        // fails only when its records could not be stored or it could not run, and that is retried here.
        var task = _context.CallActivityAsync<JsonElement>(
            HumanLoopTaskNames.RunNode,
            JsonSerializer.SerializeToElement(input, DurableJsonContext.Default.NodeActivityInput),
            InfrastructureRetry);
        _pending.Add(new PendingTask(PendingKind.Node, task, done => NodeMessage(node.TaskId, done)));
    }

    private static RunMessage NodeMessage(string taskId, Task done)
    {
        var task = (Task<JsonElement>)done;
        if (task.IsCompletedSuccessfully)
        {
            var result = task.Result.Deserialize(DurableJsonContext.Default.NodeActivityResult);
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
        // Storage may be briefly unavailable; the record is retried, and a record that still fails does not fail the run.
        var task = _context.CallActivityAsync(
            HumanLoopTaskNames.Record,
            JsonSerializer.SerializeToElement(record, DurableJsonContext.Default.RecordInput),
            InfrastructureRetry);
        _pending.Add(new PendingTask(PendingKind.Record, task, _ => null));
    }

    private static readonly TaskOptions InfrastructureRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    private void StartTimer(string timerId, DateTimeOffset dueAt)
    {
        CancelTimer(timerId);
        var cancellation = new CancellationTokenSource();

        // The SDK chains timers longer than the backend's maximum interval into several.
        var task = _context.CreateTimer(dueAt.UtcDateTime, cancellation.Token);
        var pending = new PendingTask(PendingKind.Timer, task, done => done.IsCompletedSuccessfully ? new TimerFired(timerId) : null, () => ForgetTimer(timerId));
        _timers[timerId] = (cancellation, pending);
        _pending.Add(pending);
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

    private void ForgetTimer(string timerId)
    {
        if (_timers.Remove(timerId, out var timer))
        {
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

    private DateTimeOffset? Deadline(string tokenId) =>
        _state.Tokens.FirstOrDefault(t => t.Id == tokenId)?.DeadlineTimerId is { } timerId
            ? _state.Timers.FirstOrDefault(t => t.Id == timerId)?.DueAt
            : null;

    private JsonElement TokenState(string tokenId) =>
        _state.Tokens.FirstOrDefault(t => t.Id == tokenId)?.State ?? JsonValues.Null;
}
