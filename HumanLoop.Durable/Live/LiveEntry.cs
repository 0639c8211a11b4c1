using System.Text.Json;

namespace HumanLoop.Durable.Live;

/// <summary>
/// One entry of a run's live log (<c>{Hub}Live</c>): agent output and the run's events in one order, numbered 1, 2, 3...
/// without gaps. A client that has seen entry <c>n</c> resumes with everything after it.
/// </summary>
public sealed record LiveEntry
{
    /// <summary>The entry's position in the run's log, from 1; 0 for an entry not stored yet.</summary>
    public long Sequence { get; init; }

    /// <summary>What the entry reports.</summary>
    public required LiveEntryType Type { get; init; }

    /// <summary>When it happened: when the output was written, or the run event's time.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The node concerned.</summary>
    public string? Node { get; init; }

    /// <summary>The human request concerned (prompts, answers, reminders, escalations, timeouts).</summary>
    public string? RequestId { get; init; }

    /// <summary>The agent message (chunks and messages), or the answer's message id (accepted and refused answers).</summary>
    public string? MessageId { get; init; }

    /// <summary>The output text (chunks and messages), the prompt, the validation message, or the event's message.</summary>
    public string? Text { get; init; }

    /// <summary>Who answered (accepted and refused answers).</summary>
    public string? Respondent { get; init; }

    /// <summary>The channel an answer came through, such as <c>chat</c>, <c>http</c>, <c>email</c> or <c>callback</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>The run event behind the entry (<c>NodeStarted</c>, <c>InputAccepted</c>, <c>Completed</c>...), when one is.</summary>
    public string? EventKind { get; init; }

    /// <summary>That run event's own sequence number among its run events.</summary>
    public long? EventSequence { get; init; }

    /// <summary>
    /// Structured details: the request (prompts, and answers refused by the live channel), the accepted answer, the run's
    /// output (end), or the event's data.
    /// </summary>
    public JsonElement? Data { get; init; }
}
