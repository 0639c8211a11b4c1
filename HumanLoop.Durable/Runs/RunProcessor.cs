using System.Collections.Concurrent;
using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.Graphs;
using HumanLoop.Graphs;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Runs;

/// <summary>
/// Applies messages to runs through the run machine and commits each batch atomically (state, events, outbox) with
/// optimistic concurrency on the run row's ETag; then dispatches the outbox. Every writer of a run goes through here:
/// the dispatchers, the timers and the client. Within a process a run is applied by one caller at a time; across
/// processes a lost race (HTTP 412) reloads the row and applies again, which the machine makes harmless.
/// </summary>
internal sealed partial class RunProcessor
{
    private const int MaxConflictRetries = 20;
    private static readonly TimeSpan OutboxClearDelay = TimeSpan.FromSeconds(2);

    private readonly RunStore _store;
    private readonly OutboxDispatcher _dispatcher;
    private readonly IGraphCatalog _graphs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _publishHumanTasks;
    private readonly TimeSpan _recoveryAge;
    private readonly KeyedLock _locks = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changed = new(StringComparer.Ordinal);

    public RunProcessor(RunStore store, OutboxDispatcher dispatcher, IGraphCatalog graphs, TimeProvider time, IOptions<DurableHumanLoopOptions> options, ILogger<RunProcessor> logger)
    {
        _store = store;
        _dispatcher = dispatcher;
        _graphs = graphs;
        _time = time;
        _logger = logger;
        _publishHumanTasks = options.Value.PublishHumanTasks;
        _recoveryAge = options.Value.RecoveryAge;
        Cache = new RunCache(options.Value.RunCacheCapacity);
    }

    /// <summary>Raised after every commit, outside the run's lock: the run's new state and the events it appended.</summary>
    public event Action<RunState, IReadOnlyList<RunEvent>>? Committed;

    public RunCache Cache { get; }

    /// <summary>Creates a run and applies its start message in one transaction.</summary>
    /// <returns>The run's state, and false when a run with that id already existed (its current state is returned).</returns>
    public async Task<(RunState State, bool Created)> CreateAsync(CompiledGraph graph, string runId, JsonElement input, CancellationToken cancellationToken)
    {
        using var held = await _locks.AcquireAsync(runId, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var transition = RunMachine.Apply(graph, RunState.Create(runId, graph.Name), new StartRun(input), now);
        var outbox = BuildOutbox(RunState.Create(runId, graph.Name), [transition], now);
        RunRecord record;
        try
        {
            record = await _store.InsertAsync(transition.State, [.. transition.Events], outbox, now, cancellationToken).ConfigureAwait(false);
        }
        catch (RunConflictException e) when (e.AlreadyExists)
        {
            var existing = await _store.LoadAsync(runId, cancellationToken).ConfigureAwait(false);
            return existing is null ? throw new RunAlreadyExistsException(runId) : (existing.State, false);
        }

        await AfterCommitAsync(record, [], outbox, [.. transition.Events], cancellationToken).ConfigureAwait(false);
        return (record.State, true);
    }

    /// <summary>Applies messages to a run, in order, and commits them together.</summary>
    /// <returns>One transition per message (its <see cref="Transition.Response"/> tells what became of a human response) and the run's state after them.</returns>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="UnknownGraphException">The run's graph is not registered in this process.</exception>
    public async Task<(IReadOnlyList<Transition> Transitions, RunState State)> ApplyAsync(string runId, IReadOnlyList<RunMessage> messages, CancellationToken cancellationToken)
    {
        using var held = await _locks.AcquireAsync(runId, cancellationToken).ConfigureAwait(false);
        for (int attempt = 1; ; attempt++)
        {
            var record = Cache.Get(runId) ?? await LoadAsync(runId, cancellationToken).ConfigureAwait(false);
            try
            {
                if (record.PendingEvents.Count > 0)
                {
                    record = await _store.FlushPendingEventsAsync(record, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    Cache.Set(record);
                }

                var graph = _graphs.Find(record.State.Graph) ?? throw new UnknownGraphException(record.State.Graph);
                var now = _time.GetUtcNow();
                var state = record.State;
                var transitions = new List<Transition>(messages.Count);
                foreach (var message in messages)
                {
                    var transition = RunMachine.Apply(graph, state, message, now);
                    transitions.Add(transition);
                    if (transition.Changed)
                    {
                        state = transition.State;
                    }
                }

                // Entries another writer committed recently are its to dispatch; older ones are taken over (it died).
                // A node whose result is now applied needs its entry no more.
                var carried = record.Undispatched.Where(e => IsStillWanted(e, state)).ToList();
                var takeOver = carried.Where(e => IsAbandoned(e, now)).ToList();
                var changed = transitions.Where(t => t.Changed).ToList();
                if (changed.Count == 0)
                {
                    if (takeOver.Count > 0)
                    {
                        await DispatchAsync(record, takeOver, mayHold: false, cancellationToken).ConfigureAwait(false);
                    }

                    return (transitions, record.State);
                }

                // Undispatched work is carried into the new row, so nothing committed is ever lost.
                var fresh = BuildOutbox(record.State, changed, now);
                var events = changed.SelectMany(t => t.Events).ToList();
                var committed = await _store.CommitAsync(record, state, events, [.. carried, .. fresh], now, cancellationToken).ConfigureAwait(false);
                await AfterCommitAsync(committed, takeOver, fresh, events, cancellationToken).ConfigureAwait(false);
                return (transitions, committed.State);
            }
            catch (RunConflictException) when (attempt < MaxConflictRetries)
            {
                // Another host committed first: reload and apply again; the machine ignores what that commit already did.
                Cache.Remove(runId);
                LogConflict(_logger, runId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Dispatches a run's abandoned outbox entries (their writer died before dispatching them) and removes them (the recovery sweep).</summary>
    public async Task RecoverAsync(string runId, CancellationToken cancellationToken)
    {
        using var held = await _locks.AcquireAsync(runId, cancellationToken).ConfigureAwait(false);
        Cache.Remove(runId);
        var record = await _store.LoadAsync(runId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return;
        }

        try
        {
            if (record.PendingEvents.Count > 0)
            {
                record = await _store.FlushPendingEventsAsync(record, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            var now = _time.GetUtcNow();
            var abandoned = record.Outbox.Where(e => IsAbandoned(e, now)).ToList();
            if (abandoned.Count > 0)
            {
                // A node whose result was applied meanwhile is not run again; its entry is just removed.
                var redo = abandoned.Where(e => IsStillWanted(e, record.State)).ToList();
                LogRecovering(_logger, runId, redo.Count);
                if (redo.Count > 0)
                {
                    await _dispatcher.DispatchAsync(record, redo, mayHold: false, cancellationToken).ConfigureAwait(false);
                }

                record = await _store.RemoveFromOutboxAsync(record, abandoned.Select(e => e.Key).ToHashSet(StringComparer.Ordinal), now, cancellationToken).ConfigureAwait(false);
            }

            Cache.Set(record);
        }
        catch (RunConflictException)
        {
            // Someone else committed meanwhile; the next sweep looks again.
            Cache.Remove(runId);
        }
    }

    /// <summary>
    /// Removes a node's outbox entry from the run row once the node, started here without a queue message, has been
    /// handed to the work-item queue (it ran long, or this process is stopping): the message now vouches for it.
    /// </summary>
    public async Task ReleaseHeldAsync(string runId, string key, CancellationToken cancellationToken)
    {
        using (await _locks.AcquireAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            Cache.Get(runId)?.Dispatched.Add(key);
        }

        await RemoveAsync(runId, new HashSet<string>(StringComparer.Ordinal) { key }).ConfigureAwait(false);
    }

    /// <summary>Whether the run still waits for the result of the node execution <paramref name="taskId"/>.</summary>
    public static bool IsOutstanding(RunState state, string taskId) =>
        !state.Status.IsTerminal() && state.Tokens.Any(t => t.Phase == TokenPhase.Running && t.TaskId == taskId);

    /// <summary>The run's state if this process holds it in memory (possibly stale when other hosts share the hub).</summary>
    public RunState? TryGetCached(string runId) => Cache.Get(runId)?.State;

    /// <summary>Reads the run from storage into the cache; null when it does not exist.</summary>
    public async Task<RunState?> RefreshAsync(string runId, CancellationToken cancellationToken)
    {
        using var held = await _locks.AcquireAsync(runId, cancellationToken).ConfigureAwait(false);
        var record = await _store.LoadAsync(runId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            Cache.Remove(runId);
            return null;
        }

        Cache.Set(record);
        return record.State;
    }

    /// <summary>Completes when this process next commits a change to the run.</summary>
    public Task WaitForChangeAsync(string runId, CancellationToken cancellationToken) =>
        _changed.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(cancellationToken);

    /// <summary>Forgets what this process knows of a run (after a purge).</summary>
    public void Forget(string runId) => Cache.Remove(runId);

    private async Task<RunRecord> LoadAsync(string runId, CancellationToken cancellationToken)
    {
        var record = await _store.LoadAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        Cache.Set(record);
        return record;
    }

    /// <summary>False for a node entry whose result the run no longer waits for: running it again would be ignored.</summary>
    private static bool IsStillWanted(OutboxEntry entry, RunState state) => entry.Effect is not RunNode n || IsOutstanding(state, n.TaskId);

    private bool IsAbandoned(OutboxEntry entry, DateTimeOffset now) => (entry.CommittedAt ?? DateTimeOffset.MinValue) < now - _recoveryAge;

    private List<OutboxEntry> BuildOutbox(RunState before, IEnumerable<Transition> transitions, DateTimeOffset now)
    {
        var outbox = new List<OutboxEntry>();
        var state = before;
        foreach (var transition in transitions)
        {
            foreach (var effect in transition.Effects)
            {
                switch (effect)
                {
                    case RunNode or ScheduleTimer:
                        outbox.Add(new OutboxEntry(effect, null, now));
                        break;
                    case CancelTimer cancel:
                        // A timer scheduled and cancelled within this batch never needs its row.
                        int scheduled = outbox.FindIndex(o => o.Effect is ScheduleTimer s && s.TimerId == cancel.TimerId);
                        if (scheduled >= 0)
                        {
                            outbox.RemoveAt(scheduled);
                        }
                        else if (state.Timers.FirstOrDefault(t => t.Id == cancel.TimerId) is { } timer)
                        {
                            outbox.Add(new OutboxEntry(cancel, timer.DueAt, now));
                        }

                        break;
                    case OpenHumanRequest or CloseHumanRequest when _publishHumanTasks:
                        outbox.Add(new OutboxEntry(effect, null, now));
                        break;
                }
            }

            state = transition.State;
        }

        return outbox;
    }

    private async Task AfterCommitAsync(RunRecord committed, List<OutboxEntry> takenOver, List<OutboxEntry> fresh, IReadOnlyList<RunEvent> events, CancellationToken cancellationToken)
    {
        Cache.Set(committed);
        if (takenOver.Count > 0)
        {
            await DispatchAsync(committed, takenOver, mayHold: false, cancellationToken).ConfigureAwait(false);
        }

        if (fresh.Count > 0)
        {
            await DispatchAsync(committed, fresh, mayHold: true, cancellationToken).ConfigureAwait(false);
        }

        if (_changed.TryRemove(committed.RunId, out var waiters))
        {
            waiters.TrySetResult();
        }

        try
        {
            Committed?.Invoke(committed.State, events);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogObserverFailed(_logger, e, committed.RunId);
        }
    }

    private async Task DispatchAsync(RunRecord record, IReadOnlyList<OutboxEntry> entries, bool mayHold, CancellationToken cancellationToken)
    {
        try
        {
            var held = await _dispatcher.DispatchAsync(record, entries, mayHold, cancellationToken).ConfigureAwait(false);

            // Held entries stay in the row (carried by later commits) until their node's result drops them.
            var keys = entries.Select(e => e.Key).Where(k => held is null || !held.Contains(k)).ToHashSet(StringComparer.Ordinal);
            if (keys.Count > 0)
            {
                record.Dispatched.UnionWith(keys);
                ScheduleRemoval(record.RunId, keys);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // The entries stay in the run row: the next touch of the run after the recovery age, or the sweep, dispatches them.
            LogDispatchFailed(_logger, e, record.RunId);
        }
    }

    /// <summary>
    /// Removes dispatched entries from the run row a little later, unless the run is committed again first (which drops
    /// them anyway): a run that moves on quickly never pays for the removal; one that waits for a person pays once.
    /// </summary>
    private void ScheduleRemoval(string runId, HashSet<string> keys)
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                timer?.Dispose();
                _ = RemoveAsync(runId, keys);
            },
            null,
            OutboxClearDelay,
            Timeout.InfiniteTimeSpan);
    }

    private async Task RemoveAsync(string runId, HashSet<string> keys)
    {
        try
        {
            using var held = await _locks.AcquireAsync(runId, CancellationToken.None).ConfigureAwait(false);
            for (int attempt = 1; attempt <= 3; attempt++)
            {
                var record = Cache.Get(runId) ?? await _store.LoadAsync(runId, CancellationToken.None).ConfigureAwait(false);
                if (record is null || !record.Outbox.Any(e => keys.Contains(e.Key)))
                {
                    return;
                }

                try
                {
                    var cleared = await _store.RemoveFromOutboxAsync(record, keys, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                    Cache.Set(cleared);
                    return;
                }
                catch (RunConflictException)
                {
                    Cache.Remove(runId);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Harmless: after the recovery age the sweep dispatches them again (idempotently) and removes them.
            LogClearFailed(_logger, e, runId);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Run {RunId} was changed by another writer; reloading (attempt {Attempt})")]
    private static partial void LogConflict(ILogger logger, string runId, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Dispatching the outbox of run {RunId} failed; it will be dispatched again")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Recovering run {RunId}: dispatching {Count} outbox entries committed earlier")]
    private static partial void LogRecovering(ILogger logger, string runId, int count);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Clearing the outbox of run {RunId} failed")]
    private static partial void LogClearFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "A commit observer failed for run {RunId}")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string runId);
}
