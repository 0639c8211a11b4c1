using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Human;

namespace HumanLoop.Runs;

/// <summary>The state of a human request.</summary>
public enum HumanRequestStatus
{
    /// <summary>Waiting for an answer.</summary>
    Open,

    /// <summary>Answered (by a person or by a default).</summary>
    Accepted,

    /// <summary>Passed on to the next assignees; the new request has its own id.</summary>
    Escalated,

    /// <summary>Its step's timeout elapsed.</summary>
    TimedOut,

    /// <summary>Closed because the run ended (terminated or failed).</summary>
    Cancelled,
}

/// <summary>A question put to a person: what a channel shows, and how it ended.</summary>
public sealed record HumanRequest
{
    /// <summary>The request id, <c>{runId}:{node}:{occurrence}</c>; also the name of the external event that answers it.</summary>
    public required string Id { get; init; }

    /// <summary>The run it belongs to.</summary>
    public required string RunId { get; init; }

    /// <summary>The human node that asks.</summary>
    public required string Node { get; init; }

    /// <summary>The token waiting for it.</summary>
    public required string TokenId { get; init; }

    /// <summary>The kind of step.</summary>
    public required HumanStepKind Kind { get; init; }

    /// <summary>The question, built from the state when the request opened.</summary>
    public required string Prompt { get; init; }

    /// <summary>The allowed answers, for choices and approvals.</summary>
    public ImmutableArray<string> Options { get; init; } = [];

    /// <summary>Kind-specific rendering facts: text limits and pattern, number range, form schema, the value to edit.</summary>
    public JsonElement? Details { get; init; }

    /// <summary>Who is asked.</summary>
    public ImmutableArray<string> Assignees { get; init; } = [];

    /// <summary>Which channels may answer.</summary>
    public HumanChannel Channel { get; init; } = HumanChannel.Any;

    /// <summary>The request's state.</summary>
    public HumanRequestStatus Status { get; init; } = HumanRequestStatus.Open;

    /// <summary>How many invalid answers it has received.</summary>
    public int Attempts { get; init; }

    /// <summary>How many invalid answers it accepts before its step's exhausted rule applies.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>Its position in the escalation chain: 0 for the first assignees.</summary>
    public int EscalationLevel { get; init; }

    /// <summary>When it opened.</summary>
    public DateTimeOffset OpenedAt { get; init; }

    /// <summary>When it closed.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The accepted answer, normalised.</summary>
    public JsonElement? Answer { get; init; }

    /// <summary>Who gave the accepted answer.</summary>
    public string? Respondent { get; init; }

    /// <summary>The channel the accepted answer came through (such as <c>email</c>, <c>http</c>, <c>callback</c>), when it named one.</summary>
    public string? AnsweredVia { get; init; }

    /// <summary>The last validation message, while open; or how it closed.</summary>
    public string? LastError { get; init; }
}
