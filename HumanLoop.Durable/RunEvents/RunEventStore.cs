using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Runs;

namespace HumanLoop.Durable.RunEvents;

/// <summary>
/// A hub's run events, kept in the run's partition of <c>{Hub}Live</c> beside its live log (see <see cref="LiveLog"/>):
/// one row per event keyed by <c>r</c> and its zero-padded sequence number, so a run's events read in order from any
/// point, and a transition's events are stored in the same entity-group transaction as the live entries made from
/// them. Appending the same events again is harmless.
/// </summary>
public sealed class RunEventStore
{
    // An entity-group transaction holds at most 100 operations.
    private const int BatchSize = 100;

    private const int MaxDataChars = 30_000;

    // Event rows sort after the live log's entries, markers and head ("0..", "e..", "h"), below EventsEnd.
    private const string Prefix = "r";
    private const string EventsEnd = "s";

    private readonly TableClient _table;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    public RunEventStore(TableServiceClient tables, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.LiveTable);
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>Stores events of one run (upserts by sequence number, in transactions of up to 100).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task AppendAsync(string runId, IReadOnlyList<RunEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await UpsertAsync(_table, Rows(runId, events), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rows of a run's events, for a caller that stores them in a transaction of its own.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="events">The events.</param>
    internal static IReadOnlyList<TableEntity> Rows(string runId, IReadOnlyList<RunEvent> events) =>
        [.. events.Select(e => ToEntity(runId, e))];

    /// <summary>Upserts rows of one partition, in transactions of up to 100.</summary>
    internal static async Task UpsertAsync(TableClient table, IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(BatchSize))
        {
            await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes some of a run's events by sequence number; events not stored are skipped.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="sequences">The events' sequence numbers.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task DeleteAsync(string runId, IReadOnlyList<long> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        foreach (var sequence in sequences)
        {
            await _table.DeleteEntityAsync(runId, RowKey(sequence), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a run's events with a sequence number above <paramref name="afterSequence"/>, oldest first.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence number already seen; 0 reads from the start.</param>
    /// <param name="maxCount">The most events returned.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<RunEvent>> ReadAsync(string runId, long afterSequence = 0, int maxCount = 1000, CancellationToken cancellationToken = default)
    {
        var after = RowKey(afterSequence);
        var results = new List<RunEvent>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey gt {after} and RowKey lt {EventsEnd}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(maxCount, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(FromEntity(entity));
            if (results.Count >= maxCount)
            {
                break;
            }
        }

        return results;
    }

    /// <summary>Deletes a run's events (when its instance is purged).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task DeleteAsync(string runId, CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {Prefix} and RowKey lt {EventsEnd}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(entity.RowKey);
        }

        foreach (var chunk in keys.Chunk(BatchSize))
        {
            var actions = chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(runId, k)));
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string RowKey(long sequence) => Prefix + sequence.ToString("D19", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(string runId, RunEvent e)
    {
        var entity = new TableEntity(runId, RowKey(e.Sequence))
        {
            ["Sequence"] = e.Sequence,
            ["At"] = e.At,
            ["Kind"] = e.Kind.ToString(),
        };
        entity.SetIfPresent("Node", e.Node);
        entity.SetIfPresent("RequestId", e.RequestId);
        entity.SetIfPresent("Respondent", e.Respondent);
        entity.SetIfPresent("Message", e.Message);
        entity.SetIfPresent("Channel", e.Channel);
        entity.SetIfPresent("Outcome", e.Outcome?.ToString());
        entity.SetIfPresent("MessageId", e.MessageId);
        var data = e.Data?.GetRawText();
        if (data is { Length: > MaxDataChars })
        {
            // A table property holds 64 KiB; the full value stays in the orchestration's own history and output.
            entity.SetIfPresent("DataOmitted", string.Create(CultureInfo.InvariantCulture, $"{data.Length} characters"));
            data = null;
        }

        entity.SetIfPresent("Data", data);
        return entity;
    }

    private static RunEvent FromEntity(TableEntity entity)
    {
        var kind = Enum.TryParse<RunEventKind>(entity.GetString("Kind"), out var k) ? k : default;
        var message = entity.GetString("Message");
        var channel = entity.GetString("Channel");
        ResponseStatus? outcome = Enum.TryParse<ResponseStatus>(entity.GetString("Outcome"), out var o) ? o : null;
        if (outcome is null && kind is RunEventKind.InputAccepted or RunEventKind.InputRejected)
        {
            // A row written before answers had their own Channel and Outcome columns: the kind is the outcome, and an
            // accepted answer's channel was stored in Message.
            outcome = kind == RunEventKind.InputAccepted ? ResponseStatus.Accepted : ResponseStatus.Rejected;
            if (kind == RunEventKind.InputAccepted && channel is null)
            {
                (channel, message) = (message, null);
            }
        }

        return new RunEvent(
            entity.GetInt64("Sequence") ?? long.Parse(entity.RowKey, CultureInfo.InvariantCulture),
            entity.GetDateTimeOffset("At") ?? default,
            kind,
            entity.GetString("Node"),
            entity.GetString("RequestId"),
            entity.GetString("Respondent"),
            message,
            entity.GetString("Data") is { Length: > 0 } data ? JsonDocument.Parse(data).RootElement.Clone() : null)
        {
            Channel = channel,
            Outcome = outcome,
            MessageId = entity.GetString("MessageId"),
        };
    }
}
