using System.Collections.Concurrent;

namespace HumanLoop.Durable.Runs;

/// <summary>
/// The last run rows this process read or wrote, with their ETags, so that consecutive messages for a run skip the
/// read. Bounded: past its capacity the least recently used tenth is dropped. A stale entry only costs a 412 and a reload.
/// </summary>
internal sealed class RunCache(int capacity)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private int _trimming;

    public int Count => _entries.Count;

    public RunRecord? Get(string runId)
    {
        if (_entries.TryGetValue(runId, out var entry))
        {
            entry.LastUsed = Interlocked.Increment(ref _clock);
            return entry.Record;
        }

        return null;
    }

    public void Set(RunRecord record)
    {
        if (capacity == 0)
        {
            return;
        }

        _entries[record.RunId] = new Entry(record) { LastUsed = Interlocked.Increment(ref _clock) };
        if (_entries.Count > capacity && Interlocked.Exchange(ref _trimming, 1) == 0)
        {
            try
            {
                foreach (var old in _entries.OrderBy(e => e.Value.LastUsed).Take(Math.Max(1, capacity / 10)).ToList())
                {
                    _entries.TryRemove(old);
                }
            }
            finally
            {
                Volatile.Write(ref _trimming, 0);
            }
        }
    }

    public void Remove(string runId) => _entries.TryRemove(runId, out _);

    private sealed class Entry(RunRecord record)
    {
        public RunRecord Record { get; } = record;

        public long LastUsed { get; set; }
    }
}
