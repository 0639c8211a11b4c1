using System.Text.Json;

namespace HumanLoop.Runs;

/// <summary>The kinds of run event.</summary>
public enum RunEventKind
{
    /// <summary>A node began (for human nodes: began waiting).</summary>
    NodeStarted,

    /// <summary>A node finished.</summary>
    NodeCompleted,

    /// <summary>A node attempt failed (and will be retried, or fails the run).</summary>
    NodeFailed,

    /// <summary>A human request opened.</summary>
    HumanInputRequested,

    /// <summary>An answer failed validation; the message says why.</summary>
    InputRejected,

    /// <summary>An answer was accepted; the respondent says who gave it.</summary>
    InputAccepted,

    /// <summary>A reminder came due for an open request.</summary>
    ReminderDue,

    /// <summary>A request passed to the next assignees.</summary>
    Escalated,

    /// <summary>A human step's wait ended by its timeout.</summary>
    TimedOut,

    /// <summary>The run completed.</summary>
    Completed,

    /// <summary>The run failed.</summary>
    Failed,

    /// <summary>The run was terminated.</summary>
    Terminated,
}

/// <summary>One entry of a run's event log: the audit trail and the live stream.</summary>
/// <param name="Sequence">Its position, 1, 2, 3... without gaps.</param>
/// <param name="At">When it happened (the time the message was applied).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Node">The node concerned.</param>
/// <param name="RequestId">The human request concerned.</param>
/// <param name="Respondent">Who answered (accepted and rejected input).</param>
/// <param name="Message">A human-readable message: validation errors, failure reasons (never the channel: see <see cref="Channel"/>).</param>
/// <param name="Data">Structured details: the accepted answer, the new assignees, the output.</param>
public sealed record RunEvent(
    long Sequence,
    DateTimeOffset At,
    RunEventKind Kind,
    string? Node = null,
    string? RequestId = null,
    string? Respondent = null,
    string? Message = null,
    JsonElement? Data = null)
{
    /// <summary>The channel an answer came through (accepted and rejected input), such as <c>http</c>, <c>callback</c> or <c>email</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>The answer's message id (input events only), as the respond API's <c>messageId</c> or <c>Idempotency-Key</c>.</summary>
    public string? MessageId { get; init; }

    /// <summary>What became of an answer: <see cref="ResponseStatus.Accepted"/> or <see cref="ResponseStatus.Rejected"/> (input events only).</summary>
    public ResponseStatus? Outcome { get; init; }
}
