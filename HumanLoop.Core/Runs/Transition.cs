using System.Collections.Immutable;

namespace HumanLoop.Runs;

/// <summary>The result of applying one message: the new state, the work to do, and for responses what became of them.</summary>
/// <param name="State">The run's new state (the same instance when nothing changed).</param>
/// <param name="Effects">The work to do once the new state is committed, in order.</param>
/// <param name="Response">For a <see cref="HumanResponse"/>: accepted, rejected, buffered or refused, with the reason.</param>
public sealed record Transition(RunState State, ImmutableArray<RunEffect> Effects, ResponseOutcome? Response = null)
{
    /// <summary>Whether the message changed the run.</summary>
    public bool Changed { get; init; } = true;

    /// <summary>
    /// What became of answers kept earlier (<see cref="ResponseStatus.Buffered"/>) that this transition applied because
    /// the request they answer opened, by message id, in arrival order.
    /// </summary>
    public ImmutableArray<KeyValuePair<string, ResponseOutcome>> LateOutcomes { get; init; } = [];

    /// <summary>The events appended by this transition.</summary>
    public IEnumerable<RunEvent> Events => Effects.OfType<AppendEvent>().Select(e => e.Event);
}

/// <summary>What happened to a human response.</summary>
public enum ResponseStatus
{
    /// <summary>Validated and applied.</summary>
    Accepted,

    /// <summary>Failed validation; the request stays open (or its exhausted rule applied).</summary>
    Rejected,

    /// <summary>Kept until the request it answers opens.</summary>
    Buffered,

    /// <summary>Already applied; nothing changed.</summary>
    Duplicate,

    /// <summary>No request of that name exists in this run or its graph.</summary>
    UnknownRequest,

    /// <summary>The request was already answered.</summary>
    AlreadyAnswered,

    /// <summary>The request was escalated away, timed out or cancelled.</summary>
    Expired,

    /// <summary>The run has finished.</summary>
    RunFinished,
}

/// <summary>The outcome of a human response, with a message a channel can show.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">The validation message or the refusal reason.</param>
/// <param name="Request">The request concerned, as it is after the response.</param>
public sealed record ResponseOutcome(ResponseStatus Status, string? Message, HumanRequest? Request)
{
    /// <summary>Whether the answer was accepted or kept for later.</summary>
    public bool IsSuccess => Status is ResponseStatus.Accepted or ResponseStatus.Buffered or ResponseStatus.Duplicate;
}
