using System.Globalization;
using Azure.Data.Tables;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Audit;

/// <summary>
/// A hub's audit of answers refused before they reach a run, <c>{Hub}Audit</c>: one partition per run, one row per answer
/// keyed by the time it was decided (zero-padded UTC ticks) and a random suffix, so a run's rows read in time order
/// and two answers in the same tick never collide. Answers a run applies are audited by its own event log.
/// </summary>
public sealed class AnswerAuditStore
{
    private const int MaxReasonChars = 4_000;

    private readonly TableClient _table;

    /// <summary>Creates the store of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    public AnswerAuditStore(TableServiceClient tables, TaskHubNames names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.AuditTable);
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>Records one answer.</summary>
    /// <param name="entry">The answer; its <see cref="AnswerAuditEntry.Source"/> is stored as given.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task AppendAsync(AnswerAuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{entry.At.UtcTicks:D19}-{Guid.NewGuid():N}");
        var row = new TableEntity(entry.RunId, rowKey)
        {
            ["RequestId"] = entry.RequestId,
            ["Respondent"] = entry.Respondent,
            ["At"] = entry.At,
            ["Outcome"] = entry.Outcome,
            ["Source"] = entry.Source,
        };
        row.SetIfPresent("MessageId", entry.MessageId);
        row.SetIfPresent("Channel", entry.Channel);
        row.SetIfPresent("Reason", entry.Reason is { Length: > MaxReasonChars } text ? text[..MaxReasonChars] : entry.Reason);
        await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a run's recorded refusals, oldest first, optionally of one request only.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="requestId">Only rows of this request id (compared case-insensitively); null reads all.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<AnswerAuditEntry>> ReadAsync(string runId, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var entries = new List<AnswerAuditEntry>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var entry = new AnswerAuditEntry
            {
                RunId = row.PartitionKey,
                RequestId = row.GetString("RequestId") ?? string.Empty,
                MessageId = row.GetString("MessageId"),
                Respondent = row.GetString("Respondent") ?? string.Empty,
                Channel = row.GetString("Channel"),
                At = row.GetDateTimeOffset("At") ?? default,
                Outcome = row.GetString("Outcome") ?? string.Empty,
                Reason = row.GetString("Reason"),
                Source = row.GetString("Source") ?? AnswerAuditEntry.ApiSource,
            };
            if (requestId is null || string.Equals(entry.RequestId, requestId, StringComparison.OrdinalIgnoreCase))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Deletes a run's rows (when its instance is purged).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task DeleteAsync(string runId, CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId}"), select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(row.RowKey);
        }

        foreach (var chunk in keys.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(runId, k))), cancellationToken).ConfigureAwait(false);
        }
    }
}
