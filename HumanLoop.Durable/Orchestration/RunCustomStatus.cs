using System.Collections.Immutable;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// The orchestration's custom status: a compact summary of the run's open human requests and of what became of the
/// latest answers, so that clients learn both from one status read. Kept under <see cref="MaxChars"/> characters,
/// well inside the engine's limit for custom status.
/// </summary>
public sealed record RunCustomStatus
{
    /// <summary>The most characters the serialized status may take.</summary>
    public const int MaxChars = 12_000;

    /// <summary>How many answer outcomes are kept, newest last.</summary>
    public const int MaxOutcomes = 32;

    /// <summary>The open requests.</summary>
    public ImmutableArray<OpenRequestSummary> Open { get; init; } = [];

    /// <summary>The outcomes of the latest answers, newest last.</summary>
    public ImmutableArray<ResponseOutcomeSummary> Outcomes { get; init; } = [];

    /// <summary>The sequence number of the run's last event.</summary>
    public long LastEventSequence { get; init; }

    /// <summary>Whether prompts or requests were cut to fit.</summary>
    public bool Truncated { get; init; }
}

/// <summary>One open request, as listed in the custom status.</summary>
public sealed record OpenRequestSummary
{
    /// <summary>The request id (also an event name that answers it).</summary>
    public required string Id { get; init; }

    /// <summary>The human node that asks.</summary>
    public required string Node { get; init; }

    /// <summary>The kind of step.</summary>
    public required HumanStepKind Kind { get; init; }

    /// <summary>The question, possibly shortened.</summary>
    public required string Prompt { get; init; }

    /// <summary>The allowed answers, for choices and approvals.</summary>
    public ImmutableArray<string> Options { get; init; } = [];

    /// <summary>Who is asked.</summary>
    public ImmutableArray<string> Assignees { get; init; } = [];

    /// <summary>Its position in the escalation chain.</summary>
    public int EscalationLevel { get; init; }

    /// <summary>How many invalid answers it has received.</summary>
    public int Attempts { get; init; }

    /// <summary>When it opened.</summary>
    public DateTimeOffset OpenedAt { get; init; }
}

/// <summary>What became of one answer, with the request's recorded answer when it has one.</summary>
/// <param name="MessageId">The answer's response id.</param>
/// <param name="Status">Accepted, rejected, buffered or refused.</param>
/// <param name="RequestId">The request it concerned, when known.</param>
/// <param name="Message">The validation message or the refusal reason.</param>
public sealed record ResponseOutcomeSummary(string MessageId, ResponseStatus Status, string? RequestId, string? Message)
{
    /// <summary>The request's state after the answer.</summary>
    public HumanRequestStatus? RequestStatus { get; init; }

    /// <summary>The request's accepted answer (this one, or the one that came first).</summary>
    public System.Text.Json.JsonElement? Answer { get; init; }

    /// <summary>Who gave the accepted answer.</summary>
    public string? Respondent { get; init; }

    /// <summary>The channel the accepted answer came through, when it named one.</summary>
    public string? AnsweredVia { get; init; }

    /// <summary>When the request closed (when the accepted answer was applied).</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The request's invalid answers so far.</summary>
    public int Attempts { get; init; }
}
