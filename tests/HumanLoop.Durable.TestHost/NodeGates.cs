using System.Collections.Concurrent;

namespace HumanLoop.Durable.TestHost;

/// <summary>Gates that block a node's thread until a test opens them, one per run (in-process hosts only).</summary>
public static class NodeGates
{
    private static readonly ConcurrentDictionary<string, Gate> Gates = new(StringComparer.Ordinal);

    /// <summary>Blocks the calling thread until the run's gate opens (at most a minute).</summary>
    public static void Block(string runId)
    {
        var gate = Gates.GetOrAdd(runId, _ => new Gate());
        gate.Entered.Set();
        gate.Opened.Wait(TimeSpan.FromMinutes(1));
    }

    /// <summary>Waits until a node of the run is blocked at its gate.</summary>
    public static Task WaitUntilBlockedAsync(string runId, CancellationToken cancellationToken) =>
        Task.Run(() => Gates.GetOrAdd(runId, _ => new Gate()).Entered.Wait(cancellationToken), cancellationToken);

    /// <summary>Lets the run's blocked node (and any later one) through.</summary>
    public static void Open(string runId) => Gates.GetOrAdd(runId, _ => new Gate()).Opened.Set();

    private sealed class Gate
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Opened { get; } = new();
    }
}
