using System.Collections.Concurrent;

namespace HumanLoop.Durable.Live;

/// <summary>How a reader waiting on <see cref="LiveSignals.NextAsync"/> was woken.</summary>
public enum LiveWake
{
    /// <summary>This host appended: the new entries are in <see cref="LiveSignals.TryTake"/>.</summary>
    Local,

    /// <summary>Another host appended (the doorbell rang), or the doorbell stopped covering: read storage.</summary>
    Remote,
}

/// <summary>What <see cref="LiveSignals.TryTake"/> found.</summary>
public enum LiveTake
{
    /// <summary>Nothing after the reader's sequence number was appended on this host.</summary>
    NothingNew,

    /// <summary>The entries after the reader's sequence number, every one, as stored.</summary>
    Taken,

    /// <summary>This host appended, but not every entry after the reader's number is here (another host wrote some): read storage.</summary>
    Gap,
}

/// <summary>
/// This host's live wake-ups. An append on this host (<see cref="Pulse"/>) hands the stored entries to the run's readers
/// here, so they need not read them back, and, while other hosts have live readers, is queued for
/// <see cref="LiveDoorbell"/> to ring there. The doorbell wakes the readers here when another host rings
/// (<see cref="Wake"/>). Readers that are not woken find new entries by polling (see <see cref="LiveFeed"/>).
/// </summary>
public sealed class LiveSignals
{
    // Enough for a streamed reply and the prompt after it; a reader that falls further behind reads storage.
    private const int MaxRecent = 256;

    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _rings = new(StringComparer.Ordinal);
    private TaskCompletionSource _rung = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _followed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _followers;
    private volatile bool _covered;

    /// <summary>How many readers follow a live log on this host now.</summary>
    public int Followers => Volatile.Read(ref _followers);

    /// <summary>Whether appends are queued for the doorbell (set by it while another host has live readers).</summary>
    public bool RingOthers { get; set; }

    /// <summary>
    /// Whether the doorbell tells this host's readers of every other host's appends, so an idle reader may poll storage
    /// only rarely. Set by the doorbell while its reads succeed, cleared when one fails or it stops.
    /// </summary>
    public bool IsCovered
    {
        get => _covered;
        set => _covered = value;
    }

    /// <summary>Whether a reader on this host follows the run (an append then hands it its entries).</summary>
    /// <param name="runId">The run.</param>
    public bool IsFollowed(string runId) => _runs.ContainsKey(runId);

    /// <summary>Counts a reader of the run until the returned scope is disposed.</summary>
    /// <param name="runId">The run.</param>
    public IDisposable Follow(string runId)
    {
        if (Interlocked.Increment(ref _followers) == 1)
        {
            Volatile.Read(ref _followed).TrySetResult();
        }

        while (true)
        {
            var state = _runs.GetOrAdd(runId, static _ => new RunState());
            lock (state)
            {
                // A state whose last reader just left is being removed: take a new one.
                if (state.Readers >= 0)
                {
                    state.Readers++;
                    return new FollowScope(this, runId, state);
                }
            }
        }
    }

    /// <summary>
    /// A task that completes when the run's log has something after <paramref name="afterSequence"/> on this host (at
    /// once if it has) or another host rang for it. Take it before reading, so no append is missed. Only for a followed run.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence number the reader has.</param>
    public Task<LiveWake> NextAsync(string runId, long afterSequence)
    {
        var state = _runs[runId];
        lock (state)
        {
            if (state.Last > afterSequence)
            {
                return Task.FromResult(LiveWake.Local);
            }

            state.Wait ??= new TaskCompletionSource<LiveWake>(TaskCreationOptions.RunContinuationsAsynchronously);
            return state.Wait.Task;
        }
    }

    /// <summary>The entries this host appended to the run after <paramref name="afterSequence"/>, when it has all of them.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence number the reader has.</param>
    /// <param name="entries">The entries, oldest first, when <see cref="LiveTake.Taken"/>.</param>
    public LiveTake TryTake(string runId, long afterSequence, out IReadOnlyList<LiveEntry> entries)
    {
        entries = [];
        if (!_runs.TryGetValue(runId, out var state))
        {
            return LiveTake.NothingNew;
        }

        lock (state)
        {
            if (state.Last <= afterSequence)
            {
                return LiveTake.NothingNew;
            }

            if (state.Recent.Count == 0 || state.Recent[0].Sequence > afterSequence + 1)
            {
                return LiveTake.Gap;
            }

            entries = [.. state.Recent.Where(e => e.Sequence > afterSequence)];
            return LiveTake.Taken;
        }
    }

    /// <summary>This host appended to the run's log: hands the entries to its readers here and, while other hosts listen, rings there.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="appended">The entries as stored, with their sequence numbers, oldest first; or empty when not known.</param>
    public void Pulse(string runId, IReadOnlyList<LiveEntry> appended)
    {
        ArgumentNullException.ThrowIfNull(appended);
        if (_runs.TryGetValue(runId, out var state))
        {
            TaskCompletionSource<LiveWake>? wait;
            lock (state)
            {
                if (appended.Count == 0 || appended[0].Sequence != state.Last + 1)
                {
                    // Not known, or after another host's append: only what follows is known whole.
                    state.Recent.Clear();
                }

                state.Recent.AddRange(appended);

                if (state.Recent.Count > MaxRecent)
                {
                    state.Recent.RemoveRange(0, state.Recent.Count - MaxRecent);
                }

                state.Last = appended.Count > 0 ? Math.Max(state.Last, appended[^1].Sequence) : state.Last;
                wait = state.Wait;
                state.Wait = null;
            }

            wait?.TrySetResult(appended.Count > 0 ? LiveWake.Local : LiveWake.Remote);
        }

        if (RingOthers && _rings.TryAdd(runId, 0))
        {
            Volatile.Read(ref _rung).TrySetResult();
        }
    }

    /// <summary>Wakes the run's readers on this host to read storage (another host appended).</summary>
    /// <param name="runId">The run.</param>
    public void Wake(string runId)
    {
        if (_runs.TryGetValue(runId, out var state))
        {
            TaskCompletionSource<LiveWake>? wait;
            lock (state)
            {
                wait = state.Wait;
                state.Wait = null;
            }

            wait?.TrySetResult(LiveWake.Remote);
        }
    }

    /// <summary>Wakes every reader on this host to read storage (the doorbell stopped covering them: they read, then poll more often).</summary>
    public void WakeAll()
    {
        foreach (var runId in _runs.Keys)
        {
            Wake(runId);
        }
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

    /// <summary>Waits until a reader follows a log on this host (at once if one does), or for at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="time">The clock of the wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Whether a reader follows.</returns>
    internal async Task<bool> WaitForFollowerAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        // Taken before the check: a reader that comes after the check completes this one.
        var followed = Volatile.Read(ref _followed);
        if (Followers > 0)
        {
            return true;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, stop.Token);
        var first = await Task.WhenAny(followed.Task, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (followed.Task.IsCompleted)
        {
            // Spent: the next wait takes a fresh one (unless another waiter has already put one in its place).
            Interlocked.CompareExchange(ref _followed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), followed);
        }

        return ReferenceEquals(first, followed.Task) || Followers > 0;
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

    private sealed class RunState
    {
        public int Readers { get; set; }

        public long Last { get; set; }

        public List<LiveEntry> Recent { get; } = [];

        public TaskCompletionSource<LiveWake>? Wait { get; set; }
    }

    private sealed class FollowScope(LiveSignals signals, string runId, RunState state) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            Interlocked.Decrement(ref signals._followers);
            lock (state)
            {
                if (--state.Readers == 0)
                {
                    state.Readers = -1;
                    signals._runs.TryRemove(new KeyValuePair<string, RunState>(runId, state));
                }
            }
        }
    }
}
