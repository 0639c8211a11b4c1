using Azure;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Runs;

/// <summary>A run row as loaded or last written: the state with its ETag, the outbox and any events not yet in their own rows.</summary>
internal sealed class RunRecord
{
    public required RunState State { get; init; }

    public required ETag ETag { get; init; }

    /// <summary>Work committed but perhaps not yet dispatched.</summary>
    public required IReadOnlyList<OutboxEntry> Outbox { get; init; }

    /// <summary>Events committed in the run row because they did not fit the transaction; written to event rows before the next commit.</summary>
    public required IReadOnlyList<RunEvent> PendingEvents { get; init; }

    /// <summary>How many commits the row has seen; names offloaded payload blobs uniquely.</summary>
    public required long Generation { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The keys of the outbox entries this process has dispatched (none for a row read from storage).</summary>
    public HashSet<string> Dispatched { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The entries not dispatched by this process.</summary>
    public IEnumerable<OutboxEntry> Undispatched => Outbox.Where(e => !Dispatched.Contains(e.Key));

    public string RunId => State.RunId;
}
