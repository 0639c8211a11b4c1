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

    /// <summary>Whether this process has dispatched <see cref="Outbox"/> (unknown, so false, for a row read from storage).</summary>
    public bool OutboxDispatched { get; set; }

    public string RunId => State.RunId;
}
