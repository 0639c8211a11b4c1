using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Runs;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// One execution of the graph orchestrator: the run machine's state and the Durable Functions tasks it waits on.
/// Each completed task becomes the next machine message; everything here runs on the orchestration's thread and
/// touches nothing but the context, so replay issues the same actions.
/// </summary>
internal sealed partial class OrchestratedRun
{
    private readonly TaskOrchestrationContext _context;
    private readonly CompiledGraph _graph;
    private readonly GraphOrchestratorOptions _options;

    // In the order they were created, so that Task.WhenAny and the lookups below behave the same on every replay.
    private readonly List<PendingTask> _pending = [];
    private RunState _state = null!;
    private int _generation;
    private int _appliedThisGeneration;

    public OrchestratedRun(TaskOrchestrationContext context, CompiledGraph graph, GraphOrchestratorOptions options)
    {
        _context = context;
        _graph = graph;
        _options = options;
    }

    private DateTimeOffset Now => new(DateTime.SpecifyKind(_context.CurrentUtcDateTime, DateTimeKind.Utc));

    public async Task<JsonElement?> RunAsync(JsonElement? input)
    {
        if (input is { } value && RunContinuation.IsContinuation(value))
        {
            Resume(value.Deserialize(DurableJsonContext.Default.RunContinuation)!);
        }
        else
        {
            _state = RunState.Create(_context.InstanceId, _graph.Name);
            ArmStandingWaits();
            Apply(new StartRun(input is { ValueKind: not JsonValueKind.Undefined } start ? start : JsonValues.Null));
        }

        while (!_state.Status.IsTerminal())
        {
            if (ShouldContinueAsNew())
            {
                ContinueAsNew();
                return null;
            }

            if (_pending.Count == 0)
            {
                // The machine never leaves a running run with nothing to wait for; stop rather than hang.
                throw new InvalidOperationException($"Run '{_state.RunId}' is {_state.Status} but waits for nothing.");
            }

            var done = await Task.WhenAny(_pending.Select(p => p.Task));
            var index = _pending.FindIndex(p => ReferenceEquals(p.Task, done));
            var completed = _pending[index];
            _pending.RemoveAt(index);
            if (completed.ToMessage(done) is { } message)
            {
                Apply(message);
            }

            completed.OnCompleted?.Invoke();
        }

        return await FinishAsync();
    }

    private void Apply(RunMessage message)
    {
        var transition = RunMachine.Apply(_graph, _state, message, Now);
        _appliedThisGeneration++;
        var recordedAhead = _recordedAhead;
        _recordedAhead = null;
        if (message is HumanResponse response && transition.Response is { } outcome)
        {
            RememberOutcome(response.MessageId, outcome);
        }

        // An answer kept until its request opened reports what became of it once the request opened.
        foreach (var (messageId, late) in transition.LateOutcomes)
        {
            RememberOutcome(messageId, late);
        }

        if (transition.Changed)
        {
            _state = transition.State;
            CarryOut(transition, message as HumanResponse, recordedAhead);
        }
        else if (recordedAhead is { } ahead)
        {
            PutRightLookAhead(ahead);
        }

        PublishStatus();
    }

    private async Task<JsonElement?> FinishAsync()
    {
        // Nothing the run no longer needs may keep the instance alive: timers are cancelled. Its last records are
        // stored before it shows its end (a failed run's reason then has its audit trail), at the cost of one episode
        // when any is still out: each record still out is awaited and, if it fails, retried through its quick attempts;
        // one that still fails, or that was already waiting for a slow retry, gets one last attempt. A record that
        // fails that too is logged and does not change how the run ended.
        CancelAllTimers();
        await AwaitRecordsAsync();
        foreach (var record in TakeRecordRetries())
        {
            CallRecord(record);
        }

        foreach (var last in _pending.Where(p => p.Kind == PendingKind.Record).ToList())
        {
            try
            {
                await last.Task;
            }
            catch (TaskFailedException e)
            {
                var logger = _context.CreateReplaySafeLogger<GraphOrchestrator>();
                LogRecordFailed(logger, _state.RunId, e.FailureDetails.ErrorMessage);
            }
        }

        PublishStatus();
        if (_state.Status == RunStatus.Completed)
        {
            return _state.Output;
        }

        return _state.Status == RunStatus.Failed ? throw new RunFailedException(_state.Error ?? "The run failed.") : null;
    }

    /// <summary>
    /// Waits for the record activities still out and their quick retries, in the order they were scheduled, until only
    /// slow retries (if any) remain.
    /// </summary>
    private async Task AwaitRecordsAsync()
    {
        while (_pending.FirstOrDefault(p => p.Kind == PendingKind.Record) is { } next)
        {
            try
            {
                await next.Task;
            }
            catch (TaskFailedException)
            {
                // Its completion below schedules the retry.
            }

            _pending.Remove(next);
            next.ToMessage(next.Task);
        }
    }

    private bool ShouldContinueAsNew() =>
        _appliedThisGeneration >= _options.ContinueAsNewAfter
        && !_pending.Any(p => p.Kind is PendingKind.Node or PendingKind.Record);

    private void ContinueAsNew()
    {
        CancelAllTimers();
        var next = new RunContinuation { Generation = _generation + 1, State = _state, Outcomes = _outcomes, Unrecorded = [.. TakeRecordRetries()] };
        var logger = _context.CreateReplaySafeLogger<GraphOrchestrator>();
        LogContinuedAsNew(logger, _state.RunId, next.Generation, _appliedThisGeneration);

        // Answers raised but not yet taken by a wait are carried into the next generation by the engine.
        _context.ContinueAsNew(JsonSerializer.SerializeToElement(next, DurableJsonContext.Default.RunContinuation), preserveUnprocessedEvents: true);
    }

    private void Resume(RunContinuation continuation)
    {
        _generation = continuation.Generation;
        _state = continuation.State;
        _outcomes = continuation.Outcomes.IsDefault ? [] : continuation.Outcomes;
        ArmStandingWaits();
        foreach (var request in _state.OpenRequests)
        {
            ArmWait(request.Id);
        }

        foreach (var timer in _state.Timers)
        {
            StartTimer(timer.Id, timer.DueAt);
        }

        foreach (var record in continuation.Unrecorded.IsDefault ? [] : continuation.Unrecorded)
        {
            CallRecord(record);
        }

        // A generation only ends with no node outstanding; a token still marked running is started again, and the
        // machine ignores whichever result comes second.
        foreach (var token in _state.Tokens.Where(t => t.Phase == TokenPhase.Running && t.TaskId is not null))
        {
            CallNode(new RunNode(token.TaskId!, token.Node, token.Attempt, token.State), records: null);
        }

        PublishStatus();
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Run {RunId} continues as new (generation {Generation}) after {Messages} messages")]
    private static partial void LogContinuedAsNew(ILogger logger, string runId, int generation, int messages);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Run {RunId} finished but its last events or task changes could not be stored: {Error}")]
    private static partial void LogRecordFailed(ILogger logger, string runId, string error);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Run {RunId}: recording failed on attempt {Attempt} ({Error}); it is tried again in {Delay}")]
    private static partial void LogRecordRetrying(ILogger logger, string runId, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Run {RunId} ignored event '{EventName}': {Reason}")]
    private static partial void LogIgnoredEvent(ILogger logger, string runId, string eventName, string reason);

    private enum PendingKind
    {
        Node,
        Record,
        Timer,
        Wait,

        /// <summary>A failed record's timer once its quick attempts are spent: it does not hold back ContinueAsNew.</summary>
        RecordRetry,
    }

    /// <summary>A task the run waits on, and the machine message its completion becomes (null: nothing to apply).</summary>
    private sealed record PendingTask(PendingKind Kind, Task Task, Func<Task, RunMessage?> ToMessage, Action? OnCompleted = null);
}
