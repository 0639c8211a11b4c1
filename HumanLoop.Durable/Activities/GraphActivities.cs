using System.Text.Json;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.Serialization;
using HumanLoop.Graphs;
using Microsoft.Extensions.Logging;

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
    private readonly HumanTaskNotifier _notifier;
    private readonly IServiceProvider _services;
    private readonly ILogger<GraphActivities> _logger;

    /// <summary>Creates the activities.</summary>
    /// <param name="graphs">The registered graphs.</param>
    /// <param name="tasks">The human-task store.</param>
    /// <param name="events">The run-event store.</param>
    /// <param name="notifier">Sends the notices of what was recorded (email, webhooks).</param>
    /// <param name="services">Services handed to nodes through their <see cref="NodeContext"/>.</param>
    /// <param name="logger">Where failures are logged.</param>
    public GraphActivities(IGraphCatalog graphs, HumanTaskStore tasks, RunEventStore events, HumanTaskNotifier notifier, IServiceProvider services, ILogger<GraphActivities> logger)
    {
        _graphs = graphs;
        _tasks = tasks;
        _events = events;
        _notifier = notifier;
        _services = services;
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
        var recording = request.Records is { } records ? RecordAsync(records, cancellationToken) : Task.CompletedTask;
        NodeActivityResult result;
        try
        {
            var context = new NodeContext(request.RunId, request.Node, request.Attempt, _services, cancellationToken);
            var output = await graph.ExecuteNodeAsync(request.Node, request.State, context).ConfigureAwait(false);
            result = new NodeActivityResult { Output = output };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogNodeFailed(_logger, e, request.RunId, request.Node, request.Attempt);
            result = new NodeActivityResult { Error = $"{e.GetType().Name}: {e.Message}", Retryable = graph.ShouldRetry(request.Node, e) };
        }

        await recording.ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(result, DurableJsonContext.Default.NodeActivityResult);
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
        if (!record.Events.IsDefaultOrEmpty)
        {
            await _events.AppendAsync(record.RunId, record.Events, cancellationToken).ConfigureAwait(false);
        }

        foreach (var opened in record.Opened.IsDefault ? [] : record.Opened)
        {
            await _tasks.OpenAsync(record.Graph, opened, cancellationToken).ConfigureAwait(false);
        }

        foreach (var closed in record.Closed.IsDefault ? [] : record.Closed)
        {
            await _tasks.CloseAsync(record.Graph, closed, cancellationToken).ConfigureAwait(false);
        }

        await _notifier.NotifyAsync(record, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Run {RunId}: node {Node} failed on attempt {Attempt}")]
    private static partial void LogNodeFailed(ILogger logger, Exception exception, string runId, string node, int attempt);
}
