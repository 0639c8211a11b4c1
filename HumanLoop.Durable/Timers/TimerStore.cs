using System.Globalization;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.Hosting;

namespace HumanLoop.Durable.Timers;

/// <summary>
/// The <c>{Hub}Timers</c> table: one row per pending durable timer, keyed by due time so that the timers coming due
/// are one range query away however many wait further out. PartitionKey = due minute (<c>yyyyMMddHHmm</c>, UTC),
/// RowKey = <c>{dueTicks:D19}|{runId}|{timerId}</c>.
/// </summary>
internal sealed class TimerStore(TaskHubStorage hub)
{
    public async Task AddAsync(DurableTimer timer, CancellationToken cancellationToken)
    {
        var row = new TableEntity(PartitionOf(timer.DueAt), RowOf(timer))
        {
            ["RunId"] = timer.RunId,
            ["TimerId"] = timer.TimerId,
            ["DueAt"] = timer.DueAt,
        };
        await hub.Timers.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveAsync(DurableTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            await hub.Timers.DeleteEntityAsync(PartitionOf(timer.DueAt), RowOf(timer), ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already fired or removed.
        }
    }

    /// <summary>Every timer due at or before <paramref name="until"/>, oldest first.</summary>
    public async Task<IReadOnlyList<DurableTimer>> GetDueAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        await hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        string lastPartition = PartitionOf(until);
        string lastRow = until.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "}";
        var filter = TableClient.CreateQueryFilter($"PartitionKey le {lastPartition} and RowKey le {lastRow}");
        var due = new List<DurableTimer>();
        await foreach (var row in hub.Timers.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            due.Add(new DurableTimer(row.GetString("RunId"), row.GetString("TimerId"), row.GetDateTimeOffset("DueAt")!.Value));
        }

        return due;
    }

    private static string PartitionOf(DateTimeOffset due) => due.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    private static string RowOf(DurableTimer timer) =>
        string.Create(CultureInfo.InvariantCulture, $"{timer.DueAt.UtcTicks:D19}|{timer.RunId}|{timer.TimerId}");
}

/// <summary>A durable timer of a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="TimerId">The machine's timer id.</param>
/// <param name="DueAt">When it fires.</param>
internal sealed record DurableTimer(string RunId, string TimerId, DateTimeOffset DueAt);
