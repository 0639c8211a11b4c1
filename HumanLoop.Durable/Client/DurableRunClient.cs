using System.Text.Json;
using Azure.Data.Tables;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Runs;
using HumanLoop.Runs;
using HumanLoop.Runtime;

namespace HumanLoop.Durable.Client;

/// <summary>
/// The task hub's client. Start, respond and terminate apply their message directly (with ETag retries) so the caller
/// learns the outcome at once; raised events go through the run's control queue, as in Durable Functions.
/// </summary>
internal sealed class DurableRunClient(RunStore store, RunProcessor processor, OutboxDispatcher outbox, IGraphCatalog graphs, TimeProvider time) : IDurableRunClient
{
    private static readonly char[] ForbiddenIdChars = ['/', '\\', '#', '?', '|'];

    public async Task<string> StartRunAsync(string graph, JsonElement input, StartRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var compiled = graphs.Find(graph) ?? throw new UnknownGraphException(graph);
        var runId = options?.RunId ?? Guid.NewGuid().ToString("N");
        ValidateRunId(runId);
        var (_, created) = await processor.CreateAsync(compiled, runId, input.Clone(), cancellationToken).ConfigureAwait(false);
        if (!created && options?.DedupeExisting != true)
        {
            throw new RunAlreadyExistsException(runId);
        }

        return runId;
    }

    public async Task RaiseEventAsync(string runId, string eventName, JsonElement data, string? respondent = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var run = await store.LoadAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        if (run.State.Status.IsTerminal())
        {
            throw new RunFinishedException(runId, run.State.Status);
        }

        var message = new HumanResponse(Guid.NewGuid().ToString("N"), eventName, data.Clone(), respondent ?? "external", "event");
        await outbox.SendControlAsync(runId, message, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ResponseOutcome> RespondAsync(string runId, string target, JsonElement answer, string respondent, string? channel = null, string? messageId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentException.ThrowIfNullOrEmpty(respondent);
        var message = new HumanResponse(messageId ?? Guid.NewGuid().ToString("N"), target, answer.Clone(), respondent, channel);
        var (transitions, _) = await processor.ApplyAsync(runId, [message], cancellationToken).ConfigureAwait(false);
        return transitions[0].Response!;
    }

    public async Task<RunStatusInfo?> GetStatusAsync(string runId, StatusOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new StatusOptions();
        var run = await store.LoadAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return null;
        }

        IReadOnlyList<RunEvent>? history = options.ShowHistory
            ? await store.GetEventsAsync(runId, 0, int.MaxValue, cancellationToken).ConfigureAwait(false)
            : null;
        return ToStatus(run, options, history);
    }

    public async Task<RunQueryResult> QueryAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {RunStore.RunRowKey}");
        if (query.Statuses is { Count: > 0 } statuses)
        {
            filter += " and (" + string.Join(" or ", statuses.Select(s => TableClient.CreateQueryFilter($"Status eq {s.ToString()}"))) + ")";
        }

        if (query.Graph is { } graph)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Graph eq {graph}");
        }

        if (query.CreatedFrom is { } from)
        {
            filter += " and " + TableClient.CreateQueryFilter($"CreatedAt ge {from}");
        }

        if (query.CreatedTo is { } to)
        {
            filter += " and " + TableClient.CreateQueryFilter($"CreatedAt le {to}");
        }

        if (!string.IsNullOrEmpty(query.InstanceIdPrefix))
        {
            // Ids are ordered strings: the prefix range is [prefix, prefix + U+FFFF).
            filter += " and " + TableClient.CreateQueryFilter($"PartitionKey ge {query.InstanceIdPrefix} and PartitionKey lt {query.InstanceIdPrefix + '\uffff'}");
        }

        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var (runs, token) = await store.QueryAsync(filter, pageSize, query.ContinuationToken, cancellationToken).ConfigureAwait(false);
        var options = new StatusOptions { ShowInput = true, ShowOutput = true };
        return new RunQueryResult([.. runs.Select(r => ToStatus(r, options, null))], token);
    }

    public async Task<bool> TerminateAsync(string runId, string reason, CancellationToken cancellationToken = default)
    {
        var (transitions, _) = await processor.ApplyAsync(runId, [new TerminateRun(reason)], cancellationToken).ConfigureAwait(false);
        return transitions[0].Changed;
    }

    public async Task<bool> PurgeAsync(string runId, CancellationToken cancellationToken = default)
    {
        var run = await store.LoadAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return false;
        }

        if (!run.State.Status.IsTerminal())
        {
            throw new InvalidOperationException($"Run '{runId}' has not finished ({run.State.Status}); terminate it before purging.");
        }

        await store.DeleteAsync(runId, cancellationToken).ConfigureAwait(false);
        processor.Forget(runId);
        return true;
    }

    public async Task<RunStatusInfo> WaitForCompletionAsync(string runId, CancellationToken cancellationToken = default)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        var options = new StatusOptions();
        while (true)
        {
            // Subscribe before reading, so a commit between the read and the wait is not missed.
            var changed = processor.WaitForChangeAsync(runId, cancellationToken);
            var status = await GetStatusAsync(runId, options, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
            if (status.RuntimeStatus.IsTerminal())
            {
                return status;
            }

            // Woken at once by a commit in this process; other hosts' commits are seen by polling, backing off to 1 s.
            await Task.WhenAny(changed, Task.Delay(delay, time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            delay = WorkItemExecutor.Backoff(delay, TimeSpan.FromSeconds(1));
        }
    }

    public Task<IReadOnlyList<RunEvent>> GetEventsAsync(string runId, long afterSequence = 0, int maxCount = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return store.GetEventsAsync(runId, afterSequence, maxCount, cancellationToken);
    }

    private static void ValidateRunId(string runId)
    {
        if (string.IsNullOrWhiteSpace(runId) || runId.Length > 200 || runId.IndexOfAny(ForbiddenIdChars) >= 0 || runId.Any(char.IsControl))
        {
            throw new ArgumentException($"'{runId}' is not a valid run id: use 1-200 characters without '/', '\\', '#', '?', '|' or control characters.", nameof(runId));
        }
    }

    private static RunStatusInfo ToStatus(RunRecord run, StatusOptions options, IReadOnlyList<RunEvent>? history)
    {
        var state = run.State;
        return new RunStatusInfo
        {
            InstanceId = state.RunId,
            Name = state.Graph,
            RuntimeStatus = state.Status,
            CreatedTime = state.CreatedAt ?? run.UpdatedAt,
            LastUpdatedTime = state.UpdatedAt ?? run.UpdatedAt,
            Input = options.ShowInput ? state.Input : null,
            Output = options.ShowOutput ? state.Output : null,
            Error = state.Error,
            OpenRequests = [.. state.OpenRequests],
            History = history,
        };
    }
}
