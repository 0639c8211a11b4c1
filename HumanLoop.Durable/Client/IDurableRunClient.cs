using System.Text.Json;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Client;

/// <summary>
/// Starts and manages durable runs on a task hub, in Durable Functions' terms (compare <c>DurableTaskClient</c>).
/// Every host and external process sharing the hub sees the same runs.
/// </summary>
public interface IDurableRunClient
{
    /// <summary>Starts a run of a registered graph.</summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="input">The initial state as JSON.</param>
    /// <param name="options">The run id to use and whether an existing id is accepted. The default is a new id.</param>
    /// <param name="cancellationToken">Cancels the storage calls; the run may or may not have been created.</param>
    /// <returns>The run id.</returns>
    /// <exception cref="UnknownGraphException">No graph of that name is registered.</exception>
    /// <exception cref="RunAlreadyExistsException">The id exists and <see cref="StartRunOptions.DedupeExisting"/> is false.</exception>
    Task<string> StartRunAsync(string graph, JsonElement input, StartRunOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raises an external event: a human response addressed by event name (a request id or a human node's name,
    /// compared case-insensitively). An event raised before the run waits for it is kept and delivered when it does.
    /// Returns once the event is durably queued; validation happens when it is applied.
    /// </summary>
    /// <exception cref="Runtime.RunNotFoundException">No run has that id.</exception>
    /// <exception cref="RunFinishedException">The run has finished.</exception>
    Task RaiseEventAsync(string runId, string eventName, JsonElement data, string? respondent = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Answers a human request and returns at once what became of the answer (accepted, rejected with the
    /// validation message, buffered, or refused with the reason). Retrying with the same <paramref name="messageId"/> is safe.
    /// </summary>
    /// <exception cref="Runtime.RunNotFoundException">No run has that id.</exception>
    Task<ResponseOutcome> RespondAsync(
        string runId,
        string target,
        JsonElement answer,
        string respondent,
        string? channel = null,
        string? messageId = null,
        CancellationToken cancellationToken = default);

    /// <summary>Gets a run's status, or null when no run has that id.</summary>
    Task<RunStatusInfo?> GetStatusAsync(string runId, StatusOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Lists runs matching a filter, a page at a time.</summary>
    Task<RunQueryResult> QueryAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Terminates a run. Returns false when it had already finished.</summary>
    /// <exception cref="Runtime.RunNotFoundException">No run has that id.</exception>
    Task<bool> TerminateAsync(string runId, string reason, CancellationToken cancellationToken = default);

    /// <summary>Deletes a finished run and its history. Returns false when no run has that id.</summary>
    /// <exception cref="InvalidOperationException">The run has not finished.</exception>
    Task<bool> PurgeAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Waits until the run has finished and returns its final status.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task<RunStatusInfo> WaitForCompletionAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Reads the run's events with a sequence number above <paramref name="afterSequence"/>, oldest first.</summary>
    Task<IReadOnlyList<RunEvent>> GetEventsAsync(string runId, long afterSequence = 0, int maxCount = 1000, CancellationToken cancellationToken = default);
}

/// <summary>How to start a run.</summary>
public sealed record StartRunOptions
{
    /// <summary>The run id. The default is a new GUID.</summary>
    public string? RunId { get; init; }

    /// <summary>Whether starting an id that exists returns that run instead of failing. The default is false.</summary>
    public bool DedupeExisting { get; init; }
}

/// <summary>What a status query includes.</summary>
public sealed record StatusOptions
{
    /// <summary>Include the input. The default is true.</summary>
    public bool ShowInput { get; init; } = true;

    /// <summary>Include the output. The default is true.</summary>
    public bool ShowOutput { get; init; } = true;

    /// <summary>Include the event history. The default is false.</summary>
    public bool ShowHistory { get; init; }
}

/// <summary>A run's status, shaped like Durable Functions' orchestration status.</summary>
public sealed record RunStatusInfo
{
    /// <summary>The run id (Durable Functions' instance id).</summary>
    public required string InstanceId { get; init; }

    /// <summary>The graph's name.</summary>
    public required string Name { get; init; }

    /// <summary>The runtime status.</summary>
    public required RunStatus RuntimeStatus { get; init; }

    /// <summary>When the run was created.</summary>
    public required DateTimeOffset CreatedTime { get; init; }

    /// <summary>When the run last changed.</summary>
    public required DateTimeOffset LastUpdatedTime { get; init; }

    /// <summary>The input, when asked for.</summary>
    public JsonElement? Input { get; init; }

    /// <summary>The output, when asked for and completed.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Why it failed or was terminated.</summary>
    public string? Error { get; init; }

    /// <summary>The custom status: the open human requests.</summary>
    public IReadOnlyList<HumanRequest> OpenRequests { get; init; } = [];

    /// <summary>The event history, when asked for.</summary>
    public IReadOnlyList<RunEvent>? History { get; init; }
}

/// <summary>A filter over runs, with paging.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs in these statuses. The default is any.</summary>
    public IReadOnlyList<RunStatus>? Statuses { get; init; }

    /// <summary>Only runs created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only runs created at or before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Only runs of this graph.</summary>
    public string? Graph { get; init; }

    /// <summary>Only runs whose id starts with this prefix.</summary>
    public string? InstanceIdPrefix { get; init; }

    /// <summary>The page size. The default is 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>The continuation token from the previous page.</summary>
    public string? ContinuationToken { get; init; }
}

/// <summary>A page of runs.</summary>
/// <param name="Runs">The runs on this page.</param>
/// <param name="ContinuationToken">The token for the next page, or null on the last page.</param>
public sealed record RunQueryResult(IReadOnlyList<RunStatusInfo> Runs, string? ContinuationToken);

/// <summary>No graph of the given name is registered.</summary>
public sealed class UnknownGraphException(string graph)
    : Exception($"No graph named '{graph}' is registered.")
{
    /// <summary>The name asked for.</summary>
    public string Graph { get; } = graph;
}

/// <summary>A run with the given id already exists.</summary>
public sealed class RunAlreadyExistsException(string runId)
    : Exception($"A run with the id '{runId}' already exists.")
{
    /// <summary>The id.</summary>
    public string RunId { get; } = runId;
}

/// <summary>The run has finished and takes no more events.</summary>
public sealed class RunFinishedException(string runId, RunStatus status)
    : Exception($"Run '{runId}' has finished ({status}); it takes no more events.")
{
    /// <summary>The run.</summary>
    public string RunId { get; } = runId;

    /// <summary>How it finished.</summary>
    public RunStatus Status { get; } = status;
}
