using System.Collections.Concurrent;
using System.Diagnostics;

namespace HumanLoop.Benchmarks;

/// <summary>
/// Answer-to-next-node latency: the driver marks an instance just before it answers, and the next node's code (the
/// publish node or activity) takes the mark when it starts.
/// </summary>
internal static class LatencyProbe
{
    private static readonly ConcurrentDictionary<string, long> AnsweredAt = new(StringComparer.Ordinal);
    private static readonly ConcurrentBag<double> Latencies = [];

    public static void MarkAnswer(string instanceId) => AnsweredAt[instanceId] = Stopwatch.GetTimestamp();

    public static void NextNodeStarted(string instanceId)
    {
        if (AnsweredAt.TryRemove(instanceId, out var at))
        {
            Latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
        }
    }

    /// <summary>Returns the latencies collected since the last call, sorted, and starts afresh.</summary>
    public static List<double> Drain()
    {
        var sorted = new List<double>();
        while (Latencies.TryTake(out var latency))
        {
            sorted.Add(latency);
        }

        AnsweredAt.Clear();
        sorted.Sort();
        return sorted;
    }
}
