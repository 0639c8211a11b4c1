namespace HumanLoop.Durable.Dispatching;

/// <summary>An auto-reset wake-up: <see cref="Set"/> releases the current or next <see cref="WaitAsync"/>.</summary>
internal sealed class AsyncSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _set;

    public void Set()
    {
        TaskCompletionSource tcs;
        lock (_gate)
        {
            _set = true;
            tcs = _tcs;
        }

        tcs.TrySetResult();
    }

    /// <summary>Waits until set or until <paramref name="timeout"/>; returns whether it was set.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return true;
            }

            if (_tcs.Task.IsCompleted)
            {
                _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            wait = _tcs.Task;
        }

        try
        {
            await wait.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }

        lock (_gate)
        {
            _set = false;
        }

        return true;
    }
}

/// <summary>In-process wake-ups: a message enqueued by this process wakes its dispatcher at once instead of at the next poll.</summary>
internal sealed class WorkSignals
{
    private readonly AsyncSignal[] _control = [.. Enumerable.Range(0, 16).Select(_ => new AsyncSignal())];

    public AsyncSignal WorkItems { get; } = new();

    public AsyncSignal Timers { get; } = new();

    public AsyncSignal Control(int partition) => _control[partition];
}
