using System.Collections.Concurrent;

namespace HumanLoop.Durable.Live;

/// <summary>
/// Wakes the readers of a run on this host as soon as this host appends to the run's live log, so they need not wait
/// for their next poll. Writes on other hosts are found by polling (see <see cref="LiveFeed"/>).
/// </summary>
public sealed class LiveSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the run's next append on this host. Take it before reading, so no append is missed.</summary>
    /// <param name="runId">The run.</param>
    public Task NextAsync(string runId) =>
        _waits.GetOrAdd(runId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes the run's readers.</summary>
    /// <param name="runId">The run.</param>
    public void Pulse(string runId)
    {
        if (_waits.TryRemove(runId, out var waiting))
        {
            waiting.TrySetResult();
        }
    }
}
