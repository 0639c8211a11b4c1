using System.Collections.Concurrent;

namespace HumanLoop.Durable.Live;

/// <summary>
/// This host's live wake-ups. An append on this host wakes the run's readers here at once (<see cref="Pulse"/>) and,
/// while other hosts have live readers, is queued for <see cref="LiveDoorbell"/> to ring there. The doorbell wakes the
/// readers here when another host rings (<see cref="Wake"/>). Readers that are not woken find new entries by polling
/// (see <see cref="LiveFeed"/>).
/// </summary>
public sealed class LiveSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _rings = new(StringComparer.Ordinal);
    private TaskCompletionSource _rung = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _followers;
    private volatile bool _covered;

    /// <summary>How many readers follow a live log on this host now.</summary>
    public int Followers => Volatile.Read(ref _followers);

    /// <summary>Whether appends are queued for the doorbell (set by it while another host has live readers).</summary>
    public bool RingOthers { get; set; }

    /// <summary>A task that completes at the run's next append on this host. Take it before reading, so no append is missed.</summary>
    /// <param name="runId">The run.</param>
    public Task NextAsync(string runId) =>
        _waits.GetOrAdd(runId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>This host appended to the run's log: wakes its readers here and, while other hosts listen, rings there.</summary>
    /// <param name="runId">The run.</param>
    public void Pulse(string runId)
    {
        Wake(runId);
        if (RingOthers && _rings.TryAdd(runId, 0))
        {
            Volatile.Read(ref _rung).TrySetResult();
        }
    }

    /// <summary>Wakes the run's readers on this host (another host appended).</summary>
    /// <param name="runId">The run.</param>
    public void Wake(string runId)
    {
        if (_waits.TryRemove(runId, out var waiting))
        {
            waiting.TrySetResult();
        }
    }

    /// <summary>Wakes every reader on this host (the doorbell stopped covering them: they read, then poll more often).</summary>
    public void WakeAll()
    {
        foreach (var runId in _waits.Keys)
        {
            Wake(runId);
        }
    }

    /// <summary>Counts a reader until the returned scope is disposed.</summary>
    public IDisposable Follow()
    {
        Interlocked.Increment(ref _followers);
        return new FollowScope(this);
    }

    /// <summary>
    /// Whether the doorbell tells this host's readers of every other host's appends, so an idle reader may poll storage
    /// only rarely. Set by the doorbell while its reads succeed, cleared when one fails or it stops.
    /// </summary>
    public bool IsCovered
    {
        get => _covered;
        set => _covered = value;
    }

    /// <summary>Waits until an append is queued for ringing, or the cancellation.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    internal async Task WaitForRingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Taken before the check: a run queued after the check completes this one.
            var rung = Volatile.Read(ref _rung);
            if (!_rings.IsEmpty)
            {
                return;
            }

            await rung.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.CompareExchange(ref _rung, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), rung);
        }
    }

    /// <summary>Takes the runs queued for ringing.</summary>
    internal List<string> TakeRings()
    {
        var taken = new List<string>(_rings.Count);
        foreach (var runId in _rings.Keys)
        {
            if (_rings.TryRemove(runId, out _))
            {
                taken.Add(runId);
            }
        }

        return taken;
    }

    private sealed class FollowScope(LiveSignals signals) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref signals._followers);
            }
        }
    }
}
