using System.Collections.Concurrent;
using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Runs;

namespace HumanLoop.Runtime;

/// <summary>
/// Runs graphs in memory on the run machine, with timers from an injected <see cref="TimeProvider"/>. Nothing is
/// persisted: use it in tests, in the console and wherever a run need not outlive the process.
/// </summary>
/// <remarks>
/// Every call that delivers a message (<see cref="StartAsync"/>, <see cref="RespondAsync"/>, a timer) returns once the
/// run has settled: the nodes it set off have executed and the run waits for a person, a timer, or has finished.
/// Parallel branches execute concurrently.
/// </remarks>
public sealed class InProcessRuntime : IDisposable
{
    private readonly TimeProvider _time;
    private readonly IServiceProvider? _services;
    private readonly ConcurrentDictionary<string, CompiledGraph> _graphs = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private long _nodeExecutions;

    /// <summary>Creates a runtime.</summary>
    /// <param name="timeProvider">The clock for timestamps and durable timers. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="services">Services handed to nodes through <see cref="NodeContext.Services"/>.</param>
    public InProcessRuntime(TimeProvider? timeProvider = null, IServiceProvider? services = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _services = services;
    }

    /// <summary>Raised after each run event is recorded (outside the run's lock).</summary>
    public event Action<RunEvent, RunState>? EventAppended;

    /// <summary>How many node executions have finished, successfully or not.</summary>
    public long NodeExecutions => Interlocked.Read(ref _nodeExecutions);

    /// <summary>Makes a graph startable by name. Registering the same name again replaces it for new runs.</summary>
    public void Register(CompiledGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graphs[graph.Name] = graph;
    }

    /// <summary>Starts a run of a registered graph and returns its id once it has settled.</summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="input">The initial state as JSON.</param>
    /// <param name="runId">The run id; the default is a new GUID.</param>
    /// <param name="cancellationToken">Stops waiting for the run to settle; the run goes on.</param>
    /// <exception cref="KeyNotFoundException">No graph has that name.</exception>
    /// <exception cref="InvalidOperationException">A run with <paramref name="runId"/> exists.</exception>
    public async Task<string> StartAsync(string graph, JsonElement input, string? runId = null, CancellationToken cancellationToken = default)
    {
        if (!_graphs.TryGetValue(graph, out var compiled))
        {
            throw new KeyNotFoundException($"No graph named '{graph}' is registered (graphs: {string.Join(", ", _graphs.Keys)}).");
        }

        runId ??= Guid.NewGuid().ToString("N");
        var run = new Run(runId, compiled);
        if (!_runs.TryAdd(runId, run))
        {
            throw new InvalidOperationException($"A run with the id '{runId}' already exists.");
        }

        await PumpAsync(run, new StartRun(input)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return runId;
    }

    /// <summary>Registers <paramref name="graph"/> if needed and starts a run with a typed input.</summary>
    public Task<string> StartAsync<TState>(CompiledGraph<TState> graph, TState input, string? runId = null, CancellationToken cancellationToken = default)
        where TState : class
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graphs.TryAdd(graph.Name, graph);
        return StartAsync(graph.Name, graph.ToJson(input), runId, cancellationToken);
    }

    /// <summary>Answers a human request and returns what became of the answer once the run has settled.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="target">The request id, or the human node's name.</param>
    /// <param name="answer">The raw answer.</param>
    /// <param name="respondent">Who answers.</param>
    /// <param name="channel">The channel, for the audit trail.</param>
    /// <param name="messageId">An id that makes retries of this call safe; the default is a new GUID.</param>
    /// <param name="cancellationToken">Stops waiting for the run to settle; the answer is applied regardless.</param>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    public async Task<ResponseOutcome> RespondAsync(
        string runId,
        string target,
        JsonElement answer,
        string respondent,
        string? channel = null,
        string? messageId = null,
        CancellationToken cancellationToken = default)
    {
        var message = new HumanResponse(messageId ?? Guid.NewGuid().ToString("N"), target, answer, respondent, channel);
        var transition = await PumpAsync(GetRun(runId), message).WaitAsync(cancellationToken).ConfigureAwait(false);
        return transition.Response!;
    }

    /// <summary>Terminates a run; a finished run is left as it is.</summary>
    public Task TerminateAsync(string runId, string reason, CancellationToken cancellationToken = default) =>
        PumpAsync(GetRun(runId), new TerminateRun(reason)).WaitAsync(cancellationToken);

    /// <summary>The run's current state.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    public RunState GetState(string runId)
    {
        var run = GetRun(runId);
        lock (run.Gate)
        {
            return run.State;
        }
    }

    /// <summary>The run's events with a sequence number above <paramref name="afterSequence"/>.</summary>
    public IReadOnlyList<RunEvent> GetEvents(string runId, long afterSequence = 0)
    {
        var run = GetRun(runId);
        lock (run.Gate)
        {
            return run.Events.Where(e => e.Sequence > afterSequence).ToList();
        }
    }

    /// <summary>Waits until the run has an open request for one of <paramref name="channels"/>, or has finished (then returns null).</summary>
    public async Task<HumanRequest?> NextRequestAsync(string runId, Human.HumanChannel channels = Human.HumanChannel.Any, CancellationToken cancellationToken = default)
    {
        var run = GetRun(runId);
        while (true)
        {
            Task changed;
            lock (run.Gate)
            {
                if (run.State.OpenRequests.FirstOrDefault(r => (r.Channel & channels) != 0) is { } open)
                {
                    return open;
                }

                if (run.State.Status.IsTerminal())
                {
                    return null;
                }

                changed = run.Changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the run has finished and returns its final state.</summary>
    public async Task<RunState> WaitForCompletionAsync(string runId, CancellationToken cancellationToken = default)
    {
        var run = GetRun(runId);
        while (true)
        {
            Task changed;
            lock (run.Gate)
            {
                if (run.State.Status.IsTerminal())
                {
                    return run.State;
                }

                changed = run.Changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops every timer and cancels running nodes.</summary>
    public void Dispose()
    {
        foreach (var run in _runs.Values)
        {
            lock (run.Gate)
            {
                foreach (var timer in run.Timers.Values)
                {
                    timer.Dispose();
                }

                run.Timers.Clear();
            }

            run.Cancellation.Cancel();
            run.Cancellation.Dispose();
        }
    }

    private Run GetRun(string runId) => _runs.TryGetValue(runId, out var run) ? run : throw new RunNotFoundException(runId);

    /// <summary>Applies a message, then executes the nodes it set off and applies their results, until the run settles.</summary>
    private async Task<Transition> PumpAsync(Run run, RunMessage message)
    {
        var first = Apply(run, message, out var nodes);
        while (nodes.Count > 0)
        {
            if (nodes.Count > 1)
            {
                await Task.WhenAll(nodes.Select(n => ContinueAsync(run, n))).ConfigureAwait(false);
                break;
            }

            Apply(run, await ExecuteAsync(run, nodes[0]).ConfigureAwait(false), out nodes);
        }

        return first;
    }

    private async Task ContinueAsync(Run run, RunNode node) =>
        await PumpAsync(run, await ExecuteAsync(run, node).ConfigureAwait(false)).ConfigureAwait(false);

    private Transition Apply(Run run, RunMessage message, out List<RunNode> nodes)
    {
        nodes = [];
        Transition transition;
        lock (run.Gate)
        {
            transition = RunMachine.Apply(run.Graph, run.State, message, _time.GetUtcNow());
            if (!transition.Changed)
            {
                return transition;
            }

            run.State = transition.State;
            foreach (var effect in transition.Effects)
            {
                switch (effect)
                {
                    case AppendEvent append:
                        run.Events.Add(append.Event);
                        break;
                    case RunNode node:
                        nodes.Add(node);
                        break;
                    case ScheduleTimer schedule:
                        StartTimer(run, schedule);
                        break;
                    case CancelTimer cancel when run.Timers.Remove(cancel.TimerId, out var timer):
                        timer.Dispose();
                        break;
                }
            }

            if (transition.State.Status.IsTerminal())
            {
                // Nodes still executing for a finished run are told to stop; their results would be ignored anyway.
                run.Cancellation.Cancel();
            }

            var changed = run.Changed;
            run.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.SetResult();
        }

        if (EventAppended is { } handler)
        {
            foreach (var e in transition.Events)
            {
                handler(e, transition.State);
            }
        }

        return transition;
    }

    private void StartTimer(Run run, ScheduleTimer schedule)
    {
        var delay = schedule.DueAt - _time.GetUtcNow();
        var timer = _time.CreateTimer(
            _ => _ = PumpAsync(run, new TimerFired(schedule.TimerId)),
            null,
            delay < TimeSpan.Zero ? TimeSpan.Zero : delay,
            Timeout.InfiniteTimeSpan);
        run.Timers[schedule.TimerId] = timer;
    }

    private async Task<RunMessage> ExecuteAsync(Run run, RunNode node)
    {
        try
        {
            var context = new NodeContext(run.Id, node.Node, node.Attempt, _services, run.Cancellation.Token);
            var output = await run.Graph.ExecuteNodeAsync(node.Node, node.State, context).ConfigureAwait(false);
            return new NodeCompleted(node.TaskId, output);
        }
        catch (Exception e)
        {
            return new NodeFailed(node.TaskId, e.Message, run.Graph.ShouldRetry(node.Node, e));
        }
        finally
        {
            Interlocked.Increment(ref _nodeExecutions);
        }
    }

    private sealed class Run(string id, CompiledGraph graph)
    {
        public string Id { get; } = id;

        public CompiledGraph Graph { get; } = graph;

        public object Gate { get; } = new();

        public RunState State { get; set; } = RunState.Create(id, graph.Name);

        public List<RunEvent> Events { get; } = [];

        public Dictionary<string, ITimer> Timers { get; } = new(StringComparer.Ordinal);

        public CancellationTokenSource Cancellation { get; } = new();

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
