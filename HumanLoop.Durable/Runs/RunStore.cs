using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.Storage;
using HumanLoop.Runs;
using HumanLoop.Serialization;

namespace HumanLoop.Durable.Runs;

/// <summary>
/// The <c>{Hub}Runs</c> table: one partition per run (PartitionKey = run id) holding the <c>run</c> row (state, outbox,
/// query columns) and one row per run event (<c>e{sequence:D19}</c>). A commit is one entity-group transaction.
/// </summary>
internal sealed class RunStore
{
    public const string RunRowKey = "run";
    public const string EventPrefix = "e";

    // Keeps the run row under the 1 MiB entity limit: 8 + 4 + 4 chunks of 60,000 bytes, plus small columns.
    private const int StateChunks = 8;
    private const int OutboxChunks = 4;
    private const int PendingChunks = 4;
    private const int EventChunks = 8;
    private const long MaxBatchBytes = 3_500_000;
    private const int MaxErrorChars = 1_000;

    private readonly TaskHubStorage _hub;

    public RunStore(TaskHubStorage hub)
    {
        _hub = hub;
    }

    private TableClient Table => _hub.Runs;

    private LargePayloadStore Payloads => _hub.PayloadStore;

    public async Task<RunRecord?> LoadAsync(string runId, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(runId, RunRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? await ReadAsync(response.Value!, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>Creates a run: the run row and its first events in one transaction.</summary>
    /// <exception cref="RunConflictException">A run with that id exists.</exception>
    public async Task<RunRecord> InsertAsync(RunState state, IReadOnlyList<RunEvent> events, IReadOnlyList<OutboxEntry> outbox, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await WriteAsync(null, state, events, outbox, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits a transition: replaces the run row if its ETag still matches and adds the new event rows, atomically.</summary>
    /// <exception cref="RunConflictException">Another writer changed the run first.</exception>
    public Task<RunRecord> CommitAsync(RunRecord current, RunState state, IReadOnlyList<RunEvent> events, IReadOnlyList<OutboxEntry> outbox, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(current, state, events, outbox, now, cancellationToken);

    /// <summary>Writes the events kept in the run row to their own rows, then rewrites the row without them.</summary>
    /// <exception cref="RunConflictException">Another writer changed the run first (it flushes them itself).</exception>
    public async Task<RunRecord> FlushPendingEventsAsync(RunRecord current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var batch = new List<TableTransactionAction>();
        long bytes = 0;
        foreach (var e in current.PendingEvents)
        {
            // Upserts, so a flush interrupted halfway can simply be repeated.
            var row = await EventEntityAsync(current.RunId, current.Generation, e, cancellationToken).ConfigureAwait(false);
            long size = PayloadColumns.EstimateBytes(row);
            if (batch.Count == StorageLimits.MaxTableBatchOperations || bytes + size > MaxBatchBytes)
            {
                await Table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
                bytes = 0;
            }

            batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, row));
            bytes += size;
        }

        if (batch.Count > 0)
        {
            await Table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return await RewriteAsync(current, current.Outbox, [], now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rewrites the run row without the given outbox entries once they are dispatched.</summary>
    /// <exception cref="RunConflictException">Another writer changed the run first.</exception>
    public Task<RunRecord> RemoveFromOutboxAsync(RunRecord current, IReadOnlySet<string> keys, DateTimeOffset now, CancellationToken cancellationToken) =>
        RewriteAsync(current, [.. current.Outbox.Where(e => !keys.Contains(e.Key))], current.PendingEvents, now, cancellationToken);

    public async Task<IReadOnlyList<RunEvent>> GetEventsAsync(string runId, long afterSequence, int maxCount, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var from = EventKey(afterSequence);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey gt {from} and RowKey lt {"f"}");
        var events = new List<RunEvent>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(maxCount, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var json = await PayloadColumns.ReadAsync(row, "Event", Payloads, cancellationToken).ConfigureAwait(false);
            events.Add(JsonSerializer.Deserialize(json!, HumanLoopJsonContext.Default.RunEvent)!);
            if (events.Count >= maxCount)
            {
                return events;
            }
        }

        // Events still kept in the run row (a transition with more events than one transaction holds) come after the rows.
        long last = events.Count > 0 ? events[^1].Sequence : afterSequence;
        var run = await LoadAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run is not null)
        {
            events.AddRange(run.PendingEvents.Where(e => e.Sequence > last).Take(maxCount - events.Count));
        }

        return events;
    }

    public async Task<(IReadOnlyList<RunRecord> Runs, string? ContinuationToken)> QueryAsync(string filter, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var page in Table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken)
            .AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            var runs = new List<RunRecord>(page.Values.Count);
            foreach (var row in page.Values)
            {
                runs.Add(await ReadAsync(row, cancellationToken).ConfigureAwait(false));
            }

            return (runs, page.ContinuationToken);
        }

        return ([], null);
    }

    /// <summary>The ids of runs whose outbox was committed before <paramref name="olderThan"/> and not cleared (or whose events are not yet in rows).</summary>
    public async Task<IReadOnlyList<string>> FindUndispatchedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"RowKey eq {RunRowKey} and ((OutboxCount gt {0} and OutboxSince lt {olderThan}) or (PendingEventCount gt {0} and UpdatedAt lt {olderThan}))");
        var ids = new List<string>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            ids.Add(row.PartitionKey);
        }

        return ids;
    }

    /// <summary>Deletes every row of the run (events first, the run row last) and its payload blobs.</summary>
    public async Task DeleteAsync(string runId, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId}");
        var keys = new List<TableEntity>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(row);
        }

        // The run row goes in the last transaction, so an interrupted purge leaves a purgeable run rather than orphan events.
        keys.Sort((a, b) => string.CompareOrdinal(a.RowKey == RunRowKey ? "~" : a.RowKey, b.RowKey == RunRowKey ? "~" : b.RowKey));
        foreach (var chunk in keys.Chunk(StorageLimits.MaxTableBatchOperations))
        {
            await Table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await foreach (var blob in _hub.Payloads.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, runId + "/", cancellationToken).ConfigureAwait(false))
            {
                await _hub.Payloads.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No container yet: nothing was offloaded.
        }
    }

    internal static string EventKey(long sequence) => EventPrefix + sequence.ToString("D19", CultureInfo.InvariantCulture);

    private async Task<RunRecord> WriteAsync(RunRecord? current, RunState state, IReadOnlyList<RunEvent> events, IReadOnlyList<OutboxEntry> outbox, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long generation = (current?.Generation ?? 0) + 1;
        var eventRows = new List<TableEntity>(events.Count);
        long eventBytes = 0;
        foreach (var e in events)
        {
            var row = await EventEntityAsync(state.RunId, generation, e, cancellationToken).ConfigureAwait(false);
            eventRows.Add(row);
            eventBytes += PayloadColumns.EstimateBytes(row);
        }

        var runRow = await RunEntityAsync(state, outbox, [], generation, now, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<RunEvent> pending = [];
        if (eventRows.Count + 1 > StorageLimits.MaxTableBatchOperations || eventBytes + PayloadColumns.EstimateBytes(runRow) > MaxBatchBytes)
        {
            // Too many events for one transaction: they are committed inside the run row (atomically with the state)
            // and moved to their own rows by FlushPendingEventsAsync before anything else touches the run.
            pending = events;
            eventRows.Clear();
            runRow = await RunEntityAsync(state, outbox, pending, generation, now, cancellationToken).ConfigureAwait(false);
        }

        var actions = new List<TableTransactionAction>(eventRows.Count + 1)
        {
            current is null
                ? new TableTransactionAction(TableTransactionActionType.Add, runRow)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, runRow, current.ETag),
        };
        actions.AddRange(eventRows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
        Response<IReadOnlyList<Response>> result;
        try
        {
            result = await Table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 || e.ErrorCode is "EntityAlreadyExists" or "UpdateConditionNotSatisfied")
        {
            throw new RunConflictException(state.RunId, current is null, e);
        }

        return new RunRecord
        {
            State = state,
            ETag = result.Value[0].Headers.ETag ?? throw new InvalidOperationException("The transaction returned no ETag for the run row."),
            Outbox = outbox,
            PendingEvents = pending,
            Generation = generation,
            UpdatedAt = now,
        };
    }

    private async Task<RunRecord> RewriteAsync(RunRecord current, IReadOnlyList<OutboxEntry> outbox, IReadOnlyList<RunEvent> pending, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long generation = current.Generation + 1;
        var row = await RunEntityAsync(current.State, outbox, pending, generation, now, cancellationToken).ConfigureAwait(false);
        Response response;
        try
        {
            response = await Table.UpdateEntityAsync(row, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw new RunConflictException(current.RunId, false, e);
        }

        return new RunRecord
        {
            State = current.State,
            ETag = response.Headers.ETag!.Value,
            Outbox = outbox,
            PendingEvents = pending,
            Generation = generation,
            UpdatedAt = now,
            Dispatched = current.Dispatched,
        };
    }

    private async Task<TableEntity> RunEntityAsync(RunState state, IReadOnlyList<OutboxEntry> outbox, IReadOnlyList<RunEvent> pending, long generation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = new TableEntity(state.RunId, RunRowKey)
        {
            ["Graph"] = state.Graph,
            ["Status"] = state.Status.ToString(),
            ["CreatedAt"] = state.CreatedAt ?? now,
            ["UpdatedAt"] = now,
            ["Generation"] = generation,
            ["OutboxCount"] = outbox.Count,
            ["OutboxSince"] = outbox.Count == 0 ? null : outbox.Min(e => e.CommittedAt ?? now),
            ["PendingEventCount"] = pending.Count,
        };
        if (state.Error is { } error)
        {
            row["Error"] = error.Length > MaxErrorChars ? error[..MaxErrorChars] : error;
        }

        string prefix = $"{state.RunId}/g{generation.ToString(CultureInfo.InvariantCulture)}/";
        await PayloadColumns.WriteAsync(row, "State", JsonSerializer.Serialize(state, HumanLoopJsonContext.Default.RunState), StateChunks, prefix + "state", Payloads, cancellationToken).ConfigureAwait(false);
        if (outbox.Count > 0)
        {
            await PayloadColumns.WriteAsync(row, "Outbox", JsonSerializer.Serialize([.. outbox], DurableJsonContext.Default.ListOutboxEntry), OutboxChunks, prefix + "outbox", Payloads, cancellationToken).ConfigureAwait(false);
        }

        if (pending.Count > 0)
        {
            await PayloadColumns.WriteAsync(row, "PendingEvents", JsonSerializer.Serialize([.. pending], DurableJsonContext.Default.ListRunEvent), PendingChunks, prefix + "events", Payloads, cancellationToken).ConfigureAwait(false);
        }

        return row;
    }

    private async Task<TableEntity> EventEntityAsync(string runId, long generation, RunEvent e, CancellationToken cancellationToken)
    {
        var row = new TableEntity(runId, EventKey(e.Sequence)) { ["Kind"] = e.Kind.ToString() };
        string blob = $"{runId}/g{generation.ToString(CultureInfo.InvariantCulture)}/{EventKey(e.Sequence)}";
        await PayloadColumns.WriteAsync(row, "Event", JsonSerializer.Serialize(e, HumanLoopJsonContext.Default.RunEvent), EventChunks, blob, Payloads, cancellationToken).ConfigureAwait(false);
        return row;
    }

    private async Task<RunRecord> ReadAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var stateJson = await PayloadColumns.ReadAsync(row, "State", Payloads, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Run row '{row.PartitionKey}' has no state.");
        var outboxJson = await PayloadColumns.ReadAsync(row, "Outbox", Payloads, cancellationToken).ConfigureAwait(false);
        var pendingJson = await PayloadColumns.ReadAsync(row, "PendingEvents", Payloads, cancellationToken).ConfigureAwait(false);
        return new RunRecord
        {
            State = JsonSerializer.Deserialize(stateJson, HumanLoopJsonContext.Default.RunState)!,
            ETag = row.ETag,
            Outbox = outboxJson is null ? [] : JsonSerializer.Deserialize(outboxJson, DurableJsonContext.Default.ListOutboxEntry)!,
            PendingEvents = pendingJson is null ? [] : JsonSerializer.Deserialize(pendingJson, DurableJsonContext.Default.ListRunEvent)!,
            Generation = row.GetInt64("Generation") ?? 0,
            UpdatedAt = row.GetDateTimeOffset("UpdatedAt") ?? row.Timestamp ?? DateTimeOffset.MinValue,
        };
    }
}

/// <summary>A commit lost a race: the run was created, or changed, by another writer.</summary>
internal sealed class RunConflictException(string runId, bool exists, Exception inner)
    : Exception(exists ? $"A run with the id '{runId}' already exists." : $"Run '{runId}' was changed by another writer.", inner)
{
    public string RunId { get; } = runId;

    /// <summary>True when an insert found the run existing; false when an update found a newer ETag.</summary>
    public bool AlreadyExists { get; } = exists;
}
