using System.Globalization;
using HumanLoop.Durable.DependencyInjection;

namespace HumanLoop.Benchmarks;

/// <summary>
/// The engine settings both sides of the durable benchmark run with, from <c>--key=value</c> arguments; a key left out
/// keeps HumanLoop's default (host.json's Durable Functions key in brackets).
/// </summary>
internal sealed record EngineTuning
{
    /// <summary>maxQueuePollingInterval, in milliseconds.</summary>
    public int? PollMs { get; init; }

    /// <summary>storageProvider.partitionCount.</summary>
    public int? Partitions { get; init; }

    /// <summary>storageProvider.controlQueueBatchSize.</summary>
    public int? Batch { get; init; }

    /// <summary>extendedSessionsEnabled.</summary>
    public bool? Extended { get; init; }

    /// <summary>maxConcurrentOrchestratorFunctions.</summary>
    public int? MaxOrchestrations { get; init; }

    /// <summary>maxConcurrentActivityFunctions.</summary>
    public int? MaxActivities { get; init; }

    public static EngineTuning Parse(IEnumerable<string> args)
    {
        var tuning = new EngineTuning();
        foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))
        {
            var (key, value) = (arg[2..arg.IndexOf('=', StringComparison.Ordinal)], arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            tuning = key switch
            {
                "poll" => tuning with { PollMs = Int(value) },
                "partitions" => tuning with { Partitions = Int(value) },
                "batch" => tuning with { Batch = Int(value) },
                "extended" => tuning with { Extended = bool.Parse(value) },
                "max-orchestrations" => tuning with { MaxOrchestrations = Int(value) },
                "max-activities" => tuning with { MaxActivities = Int(value) },
                _ => throw new ArgumentException($"Unknown setting --{key}; known: poll, partitions, batch, extended, max-orchestrations, max-activities."),
            };
        }

        return tuning;

        static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
    }

    public void ApplyTo(DurableHumanLoopOptions options)
    {
        if (PollMs is { } poll)
        {
            options.StorageProvider.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(poll);
        }

        options.StorageProvider.PartitionCount = Partitions ?? options.StorageProvider.PartitionCount;
        options.StorageProvider.ControlQueueBatchSize = Batch ?? options.StorageProvider.ControlQueueBatchSize;
        options.ExtendedSessionsEnabled = Extended ?? options.ExtendedSessionsEnabled;
        options.MaxConcurrentOrchestrations = MaxOrchestrations ?? options.MaxConcurrentOrchestrations;
        options.MaxConcurrentNodes = MaxActivities ?? options.MaxConcurrentNodes;
    }

    /// <summary>The effective settings, for the report.</summary>
    public static string Describe(DurableHumanLoopOptions o) => FormattableString.Invariant(
        $"maxQueuePollingInterval {o.StorageProvider.MaxQueuePollingInterval.TotalMilliseconds:F0} ms, partitionCount {o.StorageProvider.PartitionCount}, controlQueueBatchSize {o.StorageProvider.ControlQueueBatchSize}, extendedSessions {(o.ExtendedSessionsEnabled ? "on" : "off")}, maxConcurrentOrchestrations {o.MaxConcurrentOrchestrations}, maxConcurrentActivities {o.MaxConcurrentNodes}");
}
