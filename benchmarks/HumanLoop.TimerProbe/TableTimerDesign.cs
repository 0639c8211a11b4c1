using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace HumanLoop.TimerProbe;

/// <summary>
/// A timers table: PartitionKey is the due minute (<c>yyyyMMddHHmm</c>), RowKey the due ticks plus the
/// timer id, so "everything due by now" is a range query on one or two partitions. A timer is claimed
/// by deleting it with its ETag, which lets several hosts scan without firing a timer twice.
/// </summary>
internal sealed class TableTimerDesign(TableClient table, TimeProvider time, ProbeSettings settings, DateTimeOffset start) : ITimerDesign
{
    private static readonly string[] KeysOnly = ["PartitionKey", "RowKey"];

    public string Name => "table";

    public Task PrepareAsync(CancellationToken cancellationToken) => table.CreateAsync(cancellationToken);

    public Task ScheduleAsync(PlannedTimer timer, CancellationToken cancellationToken) =>
        table.AddEntityAsync(new TableEntity(Bucket(timer.Due), RowKey(timer.Due, timer.Id)), cancellationToken);

    public async Task RunPollerAsync(Measurements measurements, Func<bool> done, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancellationToken };

        // The oldest bucket that may still hold timers; a real host persists it (or looks back a fixed span).
        var lowWater = Truncate(start);
        while (!done())
        {
            var now = time.GetUtcNow();
            var found = 0;
            for (var bucket = lowWater; bucket <= now; bucket = bucket.AddMinutes(1))
            {
                var partition = Bucket(bucket);
                var upper = string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}~");
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey le {upper}");
                var started = time.GetTimestamp();
                var due = new List<TableEntity>();
                await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: KeysOnly, cancellationToken: cancellationToken))
                {
                    due.Add(entity);
                }

                measurements.RecordPoll(time.GetElapsedTime(started));
                await Parallel.ForEachAsync(due, parallel, async (entity, ct) =>
                {
                    try
                    {
                        await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, ct);
                    }
                    catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                    {
                        return; // claimed by another poller
                    }

                    // A timer has fired once it is claimed for good: found and deleted with its ETag.
                    var fired = time.GetUtcNow();
                    var dueAt = new DateTimeOffset(long.Parse(entity.RowKey.AsSpan(0, 19), CultureInfo.InvariantCulture), TimeSpan.Zero);
                    measurements.RecordFired(entity.RowKey[20..], fired - dueAt, fired);
                });

                found += due.Count;
                if (due.Count == 0 && bucket.AddMinutes(1) <= Truncate(now))
                {
                    lowWater = bucket.AddMinutes(1);
                }
            }

            if (found == 0)
            {
                await Task.Delay(settings.PollInterval, time, cancellationToken);
            }
        }
    }

    internal static string Bucket(DateTimeOffset due) => due.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    internal static string RowKey(DateTimeOffset due, string id) => string.Create(CultureInfo.InvariantCulture, $"{due.UtcTicks:D19}_{id}");

    private static DateTimeOffset Truncate(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
}
