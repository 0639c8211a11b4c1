using HumanLoop.Output;

namespace HumanLoop.Durable.Live;

/// <summary>
/// A node activity's output, written to the run's live log in batches: the first piece at once, then whatever was said
/// meanwhile at most once per flush interval (a whole message at once), consecutive chunks of one message merged into one row. The records the
/// activity carries (the answer that started this node, say) go first, so a reader sees them before the reply.
/// </summary>
internal sealed class LiveOutputSink : IAgentOutputSink
{
    private const int MaxMergedChars = 8_000;

    private readonly LiveLog _log;
    private readonly string _runId;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly object _gate = new();
    private readonly List<LiveEntry> _pending = [];
    private Task _flushing = Task.CompletedTask;
    private bool _running;
    private readonly TaskCompletionSource _hurry = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _whole = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastFlushStarted = long.MinValue;

    /// <summary>Creates the sink of one node activity.</summary>
    /// <param name="log">The live log.</param>
    /// <param name="runId">The run.</param>
    /// <param name="preamble">Entries to write before the first output (from the records the activity carries); appended only once.</param>
    /// <param name="time">The clock the flush interval and the entries' times come from.</param>
    /// <param name="interval">The least time between two writes.</param>
    public LiveOutputSink(LiveLog log, string runId, IReadOnlyList<LiveEntry> preamble, TimeProvider time, TimeSpan interval)
    {
        _log = log;
        _runId = runId;
        _time = time;
        _interval = interval;
        _pending.AddRange(preamble);
    }

    /// <summary>Whether the node said anything.</summary>
    public bool HasOutput { get; private set; }

    /// <inheritdoc/>
    public ValueTask WriteAsync(AgentOutputItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        var entry = new LiveEntry
        {
            Type = item.Kind == AgentOutputKind.Chunk ? LiveEntryType.Chunk : LiveEntryType.Message,
            At = _time.GetUtcNow(),
            Node = item.Node,
            MessageId = item.MessageId,
            Text = item.Text,
        };
        lock (_gate)
        {
            HasOutput = true;
            if (entry.Type == LiveEntryType.Chunk && _pending.Count > 0 && _pending[^1] is { Type: LiveEntryType.Chunk } last
                && last.MessageId == entry.MessageId && last.Text!.Length + entry.Text!.Length <= MaxMergedChars)
            {
                _pending[^1] = last with { Text = last.Text + entry.Text };
            }
            else
            {
                _pending.Add(entry);
            }

            if (entry.Type == LiveEntryType.Message)
            {
                // A whole message is written at once: readers wait for it, not for the next interval.
                _whole.TrySetResult();
            }

            if (!_running)
            {
                _running = true;
                _flushing = FlushLoopAsync();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Writes everything still pending and waits for it; throws when the last write fails.</summary>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        Task flushing;
        lock (_gate)
        {
            flushing = _flushing;
        }

        // The node has ended: what is pending is written now, not after the interval.
        _hurry.TrySetResult();
        await flushing.ConfigureAwait(false);
        if (!HasOutput)
        {
            return;
        }

        List<LiveEntry> rest;
        lock (_gate)
        {
            rest = [.. _pending];
            _pending.Clear();
        }

        if (rest.Count > 0)
        {
            await _log.AppendAsync(_runId, rest, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FlushLoopAsync()
    {
        // Off the node's own call: the node goes on saying things while storage writes.
        await Task.Yield();
        while (true)
        {
            var wait = _lastFlushStarted == long.MinValue ? TimeSpan.Zero : _interval - _time.GetElapsedTime(_lastFlushStarted);
            Task whole;
            lock (_gate)
            {
                whole = _whole.Task;
            }

            if (wait > TimeSpan.Zero && !_hurry.Task.IsCompleted && !whole.IsCompleted)
            {
                // CompleteAsync and a whole message cut the wait short: what is pending is written at once.
                await Task.WhenAny(Task.Delay(wait, _time), _hurry.Task, whole).ConfigureAwait(false);
            }

            List<LiveEntry> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = [.. _pending];
                _pending.Clear();
                if (_whole.Task.IsCompleted)
                {
                    _whole = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            _lastFlushStarted = _time.GetTimestamp();
            try
            {
                await _log.AppendAsync(_runId, batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Kept for the next write: the node's next output or CompleteAsync, which reports a failure of its own.
                lock (_gate)
                {
                    _pending.InsertRange(0, batch);
                    _running = false;
                }

                return;
            }
        }
    }
}
