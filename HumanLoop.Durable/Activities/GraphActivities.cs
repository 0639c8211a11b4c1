using System.Text.Json;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Output;
using HumanLoop.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Activities;

/// <summary>
/// The bodies of HumanLoop's two activities, shared by both hosts: the Functions app's activity triggers and the
/// self-hosted worker call these. Inputs and outputs are JSON in HumanLoop's own contracts.
/// </summary>
public sealed partial class GraphActivities
{
    private readonly IGraphCatalog _graphs;
    private readonly HumanTaskStore _tasks;
    private readonly RunEventStore _events;
    private readonly LiveLog _live;
    private readonly TimeSpan _flushInterval;
    private readonly HumanTaskNotifier _notifier;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<GraphActivities> _logger;

    /// <summary>Creates the activities.</summary>
    /// <param name="graphs">The registered graphs.</param>
    /// <param name="tasks">The human-task store.</param>
    /// <param name="events">The run-event store.</param>
    /// <param name="live">The live log, where node output and the run's events go for live clients.</param>
    /// <param name="liveOptions">How often streamed output is written.</param>
    /// <param name="notifier">Sends the notices of what was recorded (email, webhooks).</param>
    /// <param name="services">Services handed to nodes through their <see cref="NodeContext"/>.</param>
    /// <param name="time">The clock a look-ahead transition is stamped with.</param>
    /// <param name="logger">Where failures are logged.</param>
    public GraphActivities(
        IGraphCatalog graphs,
        HumanTaskStore tasks,
        RunEventStore events,
        LiveLog live,
        IOptions<LiveOptions> liveOptions,
        HumanTaskNotifier notifier,
        IServiceProvider services,
        TimeProvider time,
        ILogger<GraphActivities> logger)
    {
        ArgumentNullException.ThrowIfNull(liveOptions);
        _graphs = graphs;
        _tasks = tasks;
        _events = events;
        _live = live;
        _flushInterval = liveOptions.Value.FlushInterval;
        _notifier = notifier;
        _services = services;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Stores the records handed along, then executes one attempt of a node. The node's own exceptions are returned
    /// as a failure result with whether its retry policy retries them; only infrastructure failures throw.
    /// </summary>
    /// <param name="input">A <see cref="NodeActivityInput"/> as JSON.</param>
    /// <param name="cancellationToken">Stops the node (the host is shutting down).</param>
    /// <returns>A <see cref="NodeActivityResult"/> as JSON.</returns>
    public async Task<JsonElement> RunNodeAsync(JsonElement input, CancellationToken cancellationToken = default)
    {
        var request = input.Deserialize(DurableJsonContext.Default.NodeActivityInput)
            ?? throw new ArgumentException("The node activity's input is empty.", nameof(input));
        var graph = _graphs.Find(request.Graph)
            ?? throw new InvalidOperationException($"Graph '{request.Graph}' is not registered on this host.");

        // The records are stored while the node runs, so an answer reaches the next node without waiting for storage;
        // the activity completes only once both are done, and a failed record fails the activity, which is retried.
        // A node that looks ahead stores them together with the next transition's, once it knows that transition.
        var carried = request.Records;
        var recording = carried is not null && request.LookAhead is null ? StoreAsync(carried, cancellationToken) : Task.CompletedTask;
        NodeActivityResult result;

        // What the node says goes to the live log, after the carried records' entries (the answer that led here), which
        // are appended once whichever write comes first.
        var sink = new LiveOutputSink(_live, request.RunId, carried is null ? [] : LiveEntries.From(carried), _time, _flushInterval);
        try
        {
            var output = new AgentOutput(sink, request.Node, request.TaskId);
            var context = new NodeContext(request.RunId, request.Node, request.Attempt, _services, cancellationToken, output);
            var after = await graph.ExecuteNodeAsync(request.Node, request.State, context).ConfigureAwait(false);
            result = new NodeActivityResult { Output = after };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogNodeFailed(_logger, e, request.RunId, request.Node, request.Attempt);
            result = new NodeActivityResult { Error = $"{e.GetType().Name}: {e.Message}", Retryable = graph.ShouldRetry(request.Node, e) };
        }

        // Before the next transition's records, so a reader sees the reply before the question that follows it.
        await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await recording.ConfigureAwait(false);
        var stored = request.LookAhead is null ? carried : null;
        if (request.LookAhead is { } state)
        {
            var next = result.Output is { } done ? LookAhead(graph, state, new NodeCompleted(request.TaskId, done), _time.GetUtcNow()) : null;
            var both = (carried, next) switch
            {
                (null, _) => next,
                (_, null) => carried,
                _ => carried.Merge(next),
            };
            if (both is not null)
            {
                await StoreAsync(both, cancellationToken).ConfigureAwait(false);
            }

            stored = both;
            result = result with { Recorded = next is null ? null : TransitionRecords.Keys(next) };
        }

        if (stored is not null && !await TryNotifyAsync(stored, cancellationToken).ConfigureAwait(false))
        {
            result = result with { NoticesPending = true };
        }

        return JsonSerializer.SerializeToElement(result, DurableJsonContext.Default.NodeActivityResult);
    }

    /// <summary>
    /// Applies the node's completion to the run's state as the orchestrator will, for the records of that transition:
    /// stored now, the orchestrator needs no record activity after it. The orchestrator compares what it computes with
    /// the keys returned and puts right anything that differs (another message reached the run first).
    /// </summary>
    private static RecordInput? LookAhead(CompiledGraph graph, RunState state, NodeCompleted completion, DateTimeOffset now)
    {
        var transition = RunMachine.Apply(graph, state, completion, now);
        return transition.Changed ? TransitionRecords.Build(graph.Name, transition, cause: null) : null;
    }

    /// <summary>
    /// Stores a transition's events, opens and closes its human tasks, then sends their notices (each at most once,
    /// see <see cref="HumanTaskNotifier"/>). Repeating it is harmless.
    /// </summary>
    /// <param name="input">A <see cref="RecordInput"/> as JSON.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public Task RecordAsync(JsonElement input, CancellationToken cancellationToken = default)
    {
        var record = input.Deserialize(DurableJsonContext.Default.RecordInput)
            ?? throw new ArgumentException("The record activity's input is empty.", nameof(input));
        return RecordAsync(record, cancellationToken);
    }

    private async Task RecordAsync(RecordInput record, CancellationToken cancellationToken)
    {
        if (!record.NotifyOnly)
        {
            await StoreAsync(record, cancellationToken).ConfigureAwait(false);
        }

        await _notifier.NotifyAsync(record, cancellationToken).ConfigureAwait(false);
    }

    // Notices of records a node activity stored: their failure must not fail the node, so it is reported instead and
    // the orchestrator retries the notices alone in a record activity.
    private async Task<bool> TryNotifyAsync(RecordInput record, CancellationToken cancellationToken)
    {
        try
        {
            await _notifier.NotifyAsync(record, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogNoticesFailed(_logger, e, record.RunId);
            return false;
        }
    }

    private async Task StoreAsync(RecordInput record, CancellationToken cancellationToken)
    {
        if (record.Withdraw is { } withdraw)
        {
            await _events.DeleteAsync(record.RunId, withdraw.Events, cancellationToken).ConfigureAwait(false);
            foreach (var requestId in withdraw.Opened)
            {
                await _tasks.WithdrawAsync(record.RunId, requestId, cancellationToken).ConfigureAwait(false);
            }
        }

        // A transition's events go in the live log's transaction, in the same partition, when it has live entries.
        var events = record.Events.IsDefault ? [] : record.Events;
        var live = LiveEntries.From(record);
        if (live.Count == 0 && events.Length > 0)
        {
            await _events.AppendAsync(record.RunId, events, cancellationToken).ConfigureAwait(false);
        }

        foreach (var opened in record.Opened.IsDefault ? [] : record.Opened)
        {
            await _tasks.OpenAsync(record.Graph, opened, cancellationToken).ConfigureAwait(false);
        }

        foreach (var closed in record.Closed.IsDefault ? [] : record.Closed)
        {
            await _tasks.CloseAsync(record.Graph, closed, cancellationToken).ConfigureAwait(false);
        }

        // Last: a live client that sees a prompt finds its task stored, so an answer to it is checked at once.
        if (live.Count > 0)
        {
            await _live.AppendAsync(record.RunId, live, RunEventStore.Rows(record.RunId, events), cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Run {RunId}: the notices of a node's records could not be sent now; a record activity sends them")]
    private static partial void LogNoticesFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Run {RunId}: node {Node} failed on attempt {Attempt}")]
    private static partial void LogNodeFailed(ILogger logger, Exception exception, string runId, string node, int attempt);
}
