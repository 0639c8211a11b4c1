using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// <c>{Hub}Notices</c>: one row per (task, notice kind, channel), marked <see cref="Sending"/> before a notice goes out
/// and <see cref="Sent"/> after, so a repeated activity skips what went out and re-sends at most what a crash cut short.
/// </summary>
public sealed class NoticeLog
{
    /// <summary>The state of a notice being sent (or cut short by a crash).</summary>
    public const string Sending = "sending";

    /// <summary>The state of a notice that went out.</summary>
    public const string Sent = "sent";

    /// <summary>The state of a webhook notice that failed every attempt (see <see cref="WebhookDeadLetterStore"/>).</summary>
    public const string DeadLettered = "dead-lettered";

    private readonly TableClient _table;
    private readonly TimeProvider _time;

    /// <summary>Creates the log of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    /// <param name="time">The clock of the timestamps.</param>
    public NoticeLog(TableServiceClient tables, TaskHubNames names, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.NoticesTable);
        _time = time;
    }

    /// <summary>Creates the table if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The recorded state of a notice, or null when it was never attempted.</summary>
    /// <param name="requestId">The task's request id.</param>
    /// <param name="notice">The notice's key: its kind (with the reminder number) and channel, such as <c>reminder-1~email</c>.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public async Task<NoticeEntry?> GetAsync(string requestId, string notice, CancellationToken cancellationToken = default)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(requestId), TableKeys.Escape(notice), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var entity = row.Value!;
        return new NoticeEntry(
            requestId,
            notice,
            entity.GetString("Status") ?? Sending,
            entity.GetInt32("Attempts") ?? 0,
            entity.GetString("Detail"),
            entity.GetDateTimeOffset("UpdatedAt") ?? default);
    }

    /// <summary>Lists the notices recorded for a task.</summary>
    /// <param name="requestId">The task's request id.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<IReadOnlyList<NoticeEntry>> ListAsync(string requestId, CancellationToken cancellationToken = default)
    {
        var results = new List<NoticeEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Escape(requestId)}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(new NoticeEntry(
                requestId,
                entity.GetString("Notice") ?? entity.RowKey,
                entity.GetString("Status") ?? Sending,
                entity.GetInt32("Attempts") ?? 0,
                entity.GetString("Detail"),
                entity.GetDateTimeOffset("UpdatedAt") ?? default));
        }

        return results;
    }

    /// <summary>Records that a notice is about to go out, counting the attempt.</summary>
    /// <param name="requestId">The task's request id.</param>
    /// <param name="notice">The notice's key.</param>
    /// <param name="previous">What was recorded before, when anything was.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task MarkSendingAsync(string requestId, string notice, NoticeEntry? previous, CancellationToken cancellationToken = default) =>
        WriteAsync(requestId, notice, Sending, (previous?.Attempts ?? 0) + 1, null, cancellationToken);

    /// <summary>Records how a notice ended: <see cref="Sent"/> or <see cref="DeadLettered"/>.</summary>
    /// <param name="requestId">The task's request id.</param>
    /// <param name="notice">The notice's key.</param>
    /// <param name="status">The final state.</param>
    /// <param name="detail">What went out (recipients) or why it failed.</param>
    /// <param name="cancellationToken">Cancels the storage call.</param>
    public Task MarkDoneAsync(string requestId, string notice, string status, string? detail, CancellationToken cancellationToken = default) =>
        WriteAsync(requestId, notice, status, null, detail, cancellationToken);

    private async Task WriteAsync(string requestId, string notice, string status, int? attempts, string? detail, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(TableKeys.Escape(requestId), TableKeys.Escape(notice))
        {
            ["RequestId"] = requestId,
            ["Notice"] = notice,
            ["Status"] = status,
            ["UpdatedAt"] = _time.GetUtcNow(),
        };
        if (attempts is { } count)
        {
            entity["Attempts"] = count;
        }

        if (detail is not null)
        {
            entity["Detail"] = detail.Length > 30_000 ? detail[..30_000] : detail;
        }

        try
        {
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == "TableNotFound")
        {
            await CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A recorded notice.</summary>
/// <param name="RequestId">The task's request id.</param>
/// <param name="Notice">Its key: kind (with the reminder number) and channel, such as <c>opened~email</c>.</param>
/// <param name="Status"><see cref="NoticeLog.Sending"/>, <see cref="NoticeLog.Sent"/> or <see cref="NoticeLog.DeadLettered"/>.</param>
/// <param name="Attempts">How many times sending began.</param>
/// <param name="Detail">The recipients, or why it failed.</param>
/// <param name="UpdatedAt">When it was last written.</param>
public sealed record NoticeEntry(string RequestId, string Notice, string Status, int Attempts, string? Detail, DateTimeOffset UpdatedAt)
{
    /// <summary>Whether the notice is finished (sent or dead-lettered) and must not go out again.</summary>
    public bool IsDone => Status is NoticeLog.Sent or NoticeLog.DeadLettered;
}
