using System.Collections.Immutable;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>
/// The human tasks of a hub: <c>{Hub}HumanTasks</c> (partition = run id, row = request id). Written by the record
/// activity, read by the inbox, pages and respond API. The notices of what it records go out through
/// <see cref="Notifications.HumanTaskNotifier"/>; only a withdrawal, which no transition announces, is published here.
/// </summary>
public sealed class HumanTaskStore
{
    // A table property holds 64 KiB; the state answers are checked against is kept only when it fits well inside.
    private const int MaxStateChars = 30_000;

    private readonly TableClient _table;
    private readonly HumanTaskQueue _queue;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="queue">The hub's <c>{hub}-human-tasks</c> queue, where a withdrawal is published.</param>
    /// <param name="names">The hub's names.</param>
    public HumanTaskStore(TableServiceClient tables, HumanTaskQueue queue, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.HumanTasksTable);
        _queue = queue;
    }

    /// <summary>Creates the table and the queue if they do not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await _queue.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a task that opened. A task already recorded is left as it is (it may have closed since), so a
    /// repeated call is harmless.
    /// </summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="opened">The request and the state it is checked against.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task OpenAsync(string graph, OpenedTask opened, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(opened);
        var record = HumanTaskRecord.From(graph, opened.Request, null) with
        {
            State = opened.State.GetRawText().Length <= MaxStateChars ? opened.State : null,
            Deadline = opened.Deadline,
        };
        try
        {
            await _table.AddEntityAsync(ToEntity(record), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Recorded by an earlier attempt of this activity.
        }
    }

    /// <summary>Records a task that closed, with its answer, respondent and channel. Repeating it is harmless.</summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="closed">The request as it closed.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task CloseAsync(string graph, ClosedTask closed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(closed);
        var record = HumanTaskRecord.From(graph, closed.Request, closed.Channel);

        // Merge, so the state kept at opening stays for the review pages; a close may also arrive before its open.
        await _table.UpsertEntityAsync(ToEntity(record), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes a task that was recorded as opening although its run did not open it (a node activity looked ahead and
    /// another message reached the run first). A notice of type <c>withdrawn</c> on <c>{hub}-human-tasks</c> tells the
    /// queue's consumers, when the step allows the callback channel. Repeating it is harmless.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="requestId">The request id.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task WithdrawAsync(string runId, string requestId, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(runId, requestId, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return;
        }

        await _table.DeleteEntityAsync(runId, EscapeKey(requestId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (record.Channel.HasFlag(HumanChannel.Callback))
        {
            await _queue.PublishAsync(new Notifications.TaskNotice(record, HumanTaskNotice.Withdrawn).ToQueueMessage(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gets one task, or null when none is recorded.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="requestId">The request id.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<HumanTaskRecord?> GetAsync(string runId, string requestId, CancellationToken cancellationToken = default)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(runId, EscapeKey(requestId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>
    /// The task an answer's target names: the request of that id, else the latest request of the human node of that
    /// name (case-insensitive). Null when there is none.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="target">A request id or a human node's name.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<HumanTaskRecord?> FindAsync(string runId, string target, CancellationToken cancellationToken = default) =>
        await GetAsync(runId, target, cancellationToken).ConfigureAwait(false)
            ?? await LatestOfNodeAsync(runId, target, cancellationToken).ConfigureAwait(false);

    /// <summary>The latest task a human node of a run opened (its name compared case-insensitively), or null.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="node">The human node's name.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<HumanTaskRecord?> LatestOfNodeAsync(string runId, string node, CancellationToken cancellationToken = default) =>
        (await ListAsync(new HumanTaskQuery { RunId = runId }, cancellationToken).ConfigureAwait(false))
            .Where(t => string.Equals(t.Node, node, StringComparison.OrdinalIgnoreCase))
            .MaxBy(t => t.OpenedAt);

    /// <summary>Lists tasks matching a filter, oldest first within a run.</summary>
    /// <param name="query">The filter.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<HumanTaskRecord>> ListAsync(HumanTaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filters = new List<string>();
        if (query.RunId is { } runId)
        {
            filters.Add(TableClient.CreateQueryFilter($"PartitionKey eq {runId}"));
        }

        if (query.Status is { } status)
        {
            filters.Add(TableClient.CreateQueryFilter($"Status eq {status.ToString()}"));
        }

        var results = new List<HumanTaskRecord>();
        var filter = filters.Count == 0 ? null : string.Join(" and ", filters);
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var record = FromEntity(entity);
            if (query.Assignee is { } assignee && !record.Assignees.Contains(assignee, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            results.Add(record);
            if (results.Count >= query.Top)
            {
                break;
            }
        }

        return results;
    }

    private static TableEntity ToEntity(HumanTaskRecord record)
    {
        var entity = new TableEntity(record.RunId, EscapeKey(record.RequestId))
        {
            ["RequestId"] = record.RequestId,
            ["Graph"] = record.Graph,
            ["Node"] = record.Node,
            ["Kind"] = record.Kind.ToString(),
            ["Prompt"] = record.Prompt,
            ["Options"] = JsonSerializer.Serialize(record.Options, DurableJsonContext.Default.ImmutableArrayString),
            ["Assignees"] = JsonSerializer.Serialize(record.Assignees, DurableJsonContext.Default.ImmutableArrayString),
            ["Channel"] = (int)record.Channel,
            ["Status"] = record.Status.ToString(),
            ["EscalationLevel"] = record.EscalationLevel,
            ["MaxAttempts"] = record.MaxAttempts,
            ["OpenedAt"] = record.OpenedAt,
        };
        SetJson(entity, "Details", record.Details);
        SetJson(entity, "Answer", record.Answer);
        SetJson(entity, "State", record.State);
        entity.SetIfPresent("Deadline", record.Deadline);
        entity.SetIfPresent("ClosedAt", record.ClosedAt);
        entity.SetIfPresent("Respondent", record.Respondent);
        entity.SetIfPresent("AnsweredVia", record.AnsweredVia);
        entity.SetIfPresent("LastError", record.LastError);
        return entity;
    }

    private static HumanTaskRecord FromEntity(TableEntity entity) => new()
    {
        RunId = entity.PartitionKey,
        RequestId = entity.GetString("RequestId") ?? entity.RowKey,
        Graph = entity.GetString("Graph") ?? string.Empty,
        Node = entity.GetString("Node") ?? string.Empty,
        Kind = Enum.TryParse<HumanStepKind>(entity.GetString("Kind"), out var kind) ? kind : default,
        Prompt = entity.GetString("Prompt") ?? string.Empty,
        Options = ReadStrings(entity, "Options"),
        Assignees = ReadStrings(entity, "Assignees"),
        Channel = (HumanChannel)(entity.GetInt32("Channel") ?? (int)HumanChannel.Any),
        Status = Enum.TryParse<HumanRequestStatus>(entity.GetString("Status"), out var status) ? status : HumanRequestStatus.Open,
        EscalationLevel = entity.GetInt32("EscalationLevel") ?? 0,
        MaxAttempts = entity.GetInt32("MaxAttempts") ?? 0,
        OpenedAt = entity.GetDateTimeOffset("OpenedAt") ?? default,
        Deadline = entity.GetDateTimeOffset("Deadline"),
        ClosedAt = entity.GetDateTimeOffset("ClosedAt"),
        Details = ReadJson(entity, "Details"),
        Answer = ReadJson(entity, "Answer"),
        State = ReadJson(entity, "State"),
        Respondent = entity.GetString("Respondent"),
        AnsweredVia = entity.GetString("AnsweredVia"),
        LastError = entity.GetString("LastError"),
    };

    private static void SetJson(TableEntity entity, string name, JsonElement? value)
    {
        if (value is { } json)
        {
            entity[name] = json.GetRawText();
        }
    }

    private static JsonElement? ReadJson(TableEntity entity, string name) =>
        entity.GetString(name) is { Length: > 0 } text ? JsonDocument.Parse(text).RootElement.Clone() : null;

    private static ImmutableArray<string> ReadStrings(TableEntity entity, string name) =>
        entity.GetString(name) is { Length: > 0 } text
            ? JsonSerializer.Deserialize(text, DurableJsonContext.Default.ImmutableArrayString)
            : [];

    // Row keys may not hold '/', '\', '#' or '?'; request ids are built from run ids, which may.
    private static string EscapeKey(string key) =>
        key.Replace("%", "%25", StringComparison.Ordinal)
            .Replace("/", "%2F", StringComparison.Ordinal)
            .Replace("\\", "%5C", StringComparison.Ordinal)
            .Replace("#", "%23", StringComparison.Ordinal)
            .Replace("?", "%3F", StringComparison.Ordinal);
}
