using System.Globalization;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.TaskHub;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Live;

/// <summary>
/// Tells every host which runs' live logs the others appended to, so a reader on one host sees what another host did
/// within about <see cref="LiveOptions.WakePollInterval"/>, and an idle reader need not poll its run's log (one read per
/// host per interval, not one per reader). Uses <c>{Hub}LiveWake</c>:
/// <list type="bullet">
/// <item>partition <c>listeners</c>: one row per host that has live readers, renewed every
/// <see cref="LiveOptions.ListenerRefreshInterval"/>, with the time it lapses;</item>
/// <item>partitions <c>w{yyyyMMddHHmm}</c>: one row per ring, keyed by the writer's clock and host, listing the runs
/// appended to; the writer deletes its rows after a minute.</item>
/// </list>
/// A host rings only while another host listens (and, until it has first read the listeners, always). A host's readers
/// count as covered (<see cref="LiveSignals.IsCovered"/>) once every other host has had time to see its listener row
/// and while its reads of the rings succeed; until then, and when they fail, readers poll their logs as before.
/// </summary>
public sealed partial class LiveDoorbell : BackgroundService
{
    private const string ListenersPartition = "listeners";
    private const string WakePrefix = "w";
    private const int MaxRunsChars = 30_000;
    private static readonly TimeSpan ClockAllowance = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OwnRowsKept = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan StaleRowsAge = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(5);

    private readonly TableClient _table;
    private readonly LiveSignals _signals;
    private readonly LiveOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveDoorbell> _logger;
    private readonly Queue<(DateTimeOffset At, string Partition, string Row)> _ownRows = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private long _rings;
    private DateTimeOffset? _listeningSince;
    private DateTimeOffset _publishedUntil;
    private DateTimeOffset _nextRefresh;
    private DateTimeOffset _nextSweep;
    private DateTimeOffset _cursor;

    /// <summary>Creates the doorbell of one hub.</summary>
    /// <param name="tables">The account's Table service.</param>
    /// <param name="names">The hub's names.</param>
    /// <param name="signals">This host's wake-ups.</param>
    /// <param name="options">The intervals.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where failed storage calls are logged.</param>
    public LiveDoorbell(TableServiceClient tables, TaskHubNames names, LiveSignals signals, IOptions<LiveOptions> options, TimeProvider time, ILogger<LiveDoorbell> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(options);
        _table = tables.GetTableClient(names.LiveWakeTable);
        _signals = signals;
        _options = options.Value;
        _time = time;
        _logger = logger;

        // Until it has read who listens, this host rings: a host that just started may run a node another host's reader follows.
        _signals.RingOthers = true;
    }

    /// <summary>This host's name in the doorbell's rows.</summary>
    public string HostId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <inheritdoc/>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StartupTimeout);
        try
        {
            await _table.CreateIfNotExistsAsync(bounded.Token).ConfigureAwait(false);
            await RefreshAsync(_time.GetUtcNow(), bounded.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogStorageFailed(_logger, e, "start");
        }

        _cursor = _time.GetUtcNow() - ClockAllowance;
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Uncover();
    }

    /// <inheritdoc/>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => RingLoopAsync(stoppingToken), CancellationToken.None), Task.Run(() => ListenLoopAsync(stoppingToken), CancellationToken.None));

    /// <summary>Writes one ring row per batch of appends while another host listens.</summary>
    private async Task RingLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signals.WaitForRingAsync(stoppingToken).ConfigureAwait(false);
                var runs = _signals.TakeRings();
                if (runs.Count > 0 && _signals.RingOthers)
                {
                    await RingAsync(runs, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                // The other hosts' readers find these appends by their safety poll.
                LogStorageFailed(_logger, e, "ring");
            }
        }
    }

    private async Task RingAsync(List<string> runs, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var partition = WakePartition(now);
        foreach (var chunk in Chunks(runs))
        {
            var row = string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}.{HostId}.{Interlocked.Increment(ref _rings):D6}");
            await _table.AddEntityAsync(new TableEntity(partition, row) { ["Runs"] = string.Join('\n', chunk) }, cancellationToken).ConfigureAwait(false);
            lock (_ownRows)
            {
                _ownRows.Enqueue((now, partition, row));
            }
        }
    }

    /// <summary>Reads the rings while this host has readers; renews its listener row; cleans up.</summary>
    private async Task ListenLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForNextReadAsync(stoppingToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                if (now >= _nextRefresh)
                {
                    await RefreshAsync(now, stoppingToken).ConfigureAwait(false);
                }

                if (_signals.Followers > 0)
                {
                    await ReadRingsAsync(now, stoppingToken).ConfigureAwait(false);
                    Cover(now);
                }
                else
                {
                    _cursor = now - ClockAllowance;
                    if (_listeningSince is null)
                    {
                        Uncover();
                    }
                }

                await DeleteOwnRowsAsync(now, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                LogStorageFailed(_logger, e, "listen");
                Uncover();
            }
        }
    }

    /// <summary>
    /// With readers here, waits one <see cref="LiveOptions.WakePollInterval"/>. Without, sleeps until a reader comes, the
    /// listeners are due to be read again or an own ring row is due for deletion: an idle host wakes a few times a minute,
    /// not twenty times a second.
    /// </summary>
    private async Task WaitForNextReadAsync(CancellationToken stoppingToken)
    {
        if (_signals.Followers > 0)
        {
            await Task.Delay(_options.WakePollInterval, _time, stoppingToken).ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        var until = _nextRefresh;
        lock (_ownRows)
        {
            if (_ownRows.TryPeek(out var oldest) && oldest.At + OwnRowsKept < until)
            {
                until = oldest.At + OwnRowsKept;
            }
        }

        var wait = until - now;
        if (wait < _options.WakePollInterval)
        {
            wait = _options.WakePollInterval;
        }

        if (await _signals.WaitForFollowerAsync(wait, _time, stoppingToken).ConfigureAwait(false) && _listeningSince is null)
        {
            // The first reader: publish the listener row now, so other hosts start ringing without waiting a refresh.
            _nextRefresh = _time.GetUtcNow();
        }
    }

    /// <summary>Renews this host's listener row while it has readers, and reads which other hosts listen.</summary>
    private async Task RefreshAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        _nextRefresh = now + _options.ListenerRefreshInterval;
        if (_signals.Followers > 0)
        {
            if (_listeningSince is null || now >= _publishedUntil)
            {
                _listeningSince = now;
            }

            _publishedUntil = now + (3 * _options.ListenerRefreshInterval);
            await _table.UpsertEntityAsync(new TableEntity(ListenersPartition, HostId) { ["Until"] = _publishedUntil }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        else if (_listeningSince is not null && now >= _publishedUntil)
        {
            _listeningSince = null;
        }

        var others = false;
        var expired = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ListenersPartition}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var until = row.GetDateTimeOffset("Until") ?? DateTimeOffset.MinValue;
            if (row.RowKey != HostId && until > now)
            {
                others = true;
            }
            else if (until < now - StaleRowsAge)
            {
                expired.Add(row.RowKey);
            }
        }

        _signals.RingOthers = others;
        foreach (var host in expired)
        {
            await _table.DeleteEntityAsync(ListenersPartition, host, ETag.All, cancellationToken).ConfigureAwait(false);
        }

        if (now >= _nextSweep)
        {
            _nextSweep = now + StaleRowsAge;
            await SweepStaleRingsAsync(now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes this host's readers of every run another host rang for since the last read.</summary>
    private async Task ReadRingsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var from = _cursor;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {WakePartition(from - TimeSpan.FromMinutes(1))} and PartitionKey le {WakePartition(now + TimeSpan.FromMinutes(1))} and RowKey gt {from.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Runs"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey.AsSpan(20).StartsWith(HostId, StringComparison.Ordinal) || !_seen.TryAdd(row.RowKey, now))
            {
                continue;
            }

            // Run ids cannot hold control characters (they are table keys), so a line feed separates them.
            foreach (var id in (row.GetString("Runs") ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _signals.Wake(id);
            }
        }

        // The next read goes back a little, for a writer whose clock is behind this host's; the rows seen are skipped.
        _cursor = now - ClockAllowance;
        foreach (var old in _seen.Where(s => s.Value < now - (3 * ClockAllowance)).Select(s => s.Key).ToList())
        {
            _seen.Remove(old);
        }
    }

    private void Cover(DateTimeOffset now)
    {
        // Every other host re-reads the listeners within one refresh interval; a new host rings until its first read.
        if (_listeningSince is { } since && now >= since + (2 * _options.ListenerRefreshInterval))
        {
            _signals.IsCovered = true;
        }
    }

    private void Uncover()
    {
        if (_signals.IsCovered)
        {
            // Readers waiting on the long safety interval read now and then wait the short one.
            _signals.IsCovered = false;
            _signals.WakeAll();
        }
    }

    private async Task DeleteOwnRowsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<(string Partition, string Row)> due = [];
        lock (_ownRows)
        {
            while (_ownRows.TryPeek(out var oldest) && oldest.At < now - OwnRowsKept && due.Count < 100)
            {
                _ownRows.Dequeue();
                due.Add((oldest.Partition, oldest.Row));
            }
        }

        foreach (var group in due.GroupBy(d => d.Partition))
        {
            await _table.SubmitTransactionAsync(group.Select(d => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(d.Partition, d.Row), ETag.All)), cancellationToken).ConfigureAwait(false);
        }
    }

    // Rings left by a host that stopped before deleting its own.
    private async Task SweepStaleRingsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {WakePrefix} and PartitionKey lt {WakePartition(now - StaleRowsAge)}");
        var stale = new List<TableEntity>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, maxPerPage: 100, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            stale.Add(row);
            if (stale.Count >= 500)
            {
                break;
            }
        }

        foreach (var group in stale.GroupBy(r => r.PartitionKey))
        {
            foreach (var chunk in group.Chunk(100))
            {
                await _table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string WakePartition(DateTimeOffset at) => WakePrefix + at.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    private static IEnumerable<List<string>> Chunks(List<string> runs)
    {
        var chunk = new List<string>();
        var chars = 0;
        foreach (var run in runs)
        {
            if (chunk.Count > 0 && chars + run.Length + 1 > MaxRunsChars)
            {
                yield return chunk;
                chunk = [];
                chars = 0;
            }

            chunk.Add(run);
            chars += run.Length + 1;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    [LoggerMessage(EventId = 2402, Level = LogLevel.Warning, Message = "The live doorbell could not {Step}; readers poll their logs meanwhile")]
    private static partial void LogStorageFailed(ILogger logger, Exception exception, string step);
}
