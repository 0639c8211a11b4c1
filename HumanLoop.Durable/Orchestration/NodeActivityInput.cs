using System.Text.Json;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>What the <see cref="HumanLoopTaskNames.RunNode"/> activity receives: one attempt of one node.</summary>
public sealed record NodeActivityInput
{
    /// <summary>The graph's name.</summary>
    public required string Graph { get; init; }

    /// <summary>The run (orchestration instance) id.</summary>
    public required string RunId { get; init; }

    /// <summary>The node to execute.</summary>
    public required string Node { get; init; }

    /// <summary>The run machine's task id the result answers.</summary>
    public required string TaskId { get; init; }

    /// <summary>The attempt, from 1.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The node's input state.</summary>
    public required JsonElement State { get; init; }

    /// <summary>Records the orchestrator hands to this activity so that no extra activity is needed to store them.</summary>
    public RecordInput? Records { get; init; }

    /// <summary>
    /// The run's state when the node was scheduled, when the orchestrator asks the activity to look ahead: once the
    /// node succeeds, the activity applies its completion to this state itself and stores the records of that next
    /// transition, so the orchestrator needs no extra activity for them (see <see cref="NodeActivityResult.Recorded"/>).
    /// </summary>
    public RunState? LookAhead { get; init; }
}

/// <summary>What the <see cref="HumanLoopTaskNames.RunNode"/> activity returns: the node's new state, or why it failed.</summary>
public sealed record NodeActivityResult
{
    /// <summary>The new state, when the node succeeded.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>The failure, when it threw: the exception's type and message.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the node's retry policy allows another attempt for that failure.</summary>
    public bool Retryable { get; init; }

    /// <summary>The keys of the records the activity stored by looking ahead, when it did.</summary>
    public RecordKeys? Recorded { get; init; }

    /// <summary>
    /// Whether the activity stored its records but could not send their notices; the orchestrator then sends them
    /// through a record activity (<see cref="RecordInput.NotifyOnly"/>), so a mail server that is down fails no node.
    /// </summary>
    public bool NoticesPending { get; init; }
}
