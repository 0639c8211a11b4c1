using System.Collections.Concurrent;
using HumanLoop.Durable.Storage;

namespace HumanLoop.TimerProbe;

/// <summary>What one design did in one scenario.</summary>
internal sealed class Measurements
{
    private readonly ConcurrentBag<double> _latenessMs = [];
    private readonly ConcurrentBag<double> _pollMs = [];
    private readonly ConcurrentDictionary<string, byte> _fired = new();
    private int _duplicates;
    private int _redeferred;

    public required string Design { get; init; }

    public required string Scenario { get; init; }

    public int Measured { get; init; }

    public TimeSpan ScheduleTime { get; set; }

    public int ScheduledAfterDue { get; set; }

    public DateTimeOffset FirstDue { get; set; }

    public DateTimeOffset LastFired { get; set; }

    public StorageTransactionSnapshot? ScheduleTransactions { get; set; }

    public StorageTransactionSnapshot? FireTransactions { get; set; }

    public int Fired => _fired.Count;

    public int Duplicates => _duplicates;

    public int Redeferred => _redeferred;

    public int Polls => _pollMs.Count;

    public void RecordPoll(TimeSpan elapsed) => _pollMs.Add(elapsed.TotalMilliseconds);

    public void RecordRedeferred() => Interlocked.Increment(ref _redeferred);

    /// <summary>Records a fired timer; returns false for a timer that had fired already.</summary>
    public bool RecordFired(string id, TimeSpan lateness, DateTimeOffset at)
    {
        if (!_fired.TryAdd(id, 0))
        {
            Interlocked.Increment(ref _duplicates);
            return false;
        }

        _latenessMs.Add(lateness.TotalMilliseconds);
        lock (_latenessMs)
        {
            if (at > LastFired)
            {
                LastFired = at;
            }
        }

        return true;
    }

    public double LatenessPercentile(double p) => Percentile(_latenessMs, p);

    public double LatenessMin => _latenessMs.IsEmpty ? double.NaN : _latenessMs.Min();

    public double LatenessMean => _latenessMs.IsEmpty ? double.NaN : _latenessMs.Average();

    public int Early => _latenessMs.Count(l => l < 0);

    public double PollPercentile(double p) => Percentile(_pollMs, p);

    public double PollMean => _pollMs.IsEmpty ? double.NaN : _pollMs.Average();

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
