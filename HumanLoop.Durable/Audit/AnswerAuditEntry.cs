namespace HumanLoop.Durable.Audit;

/// <summary>
/// One answer as the audit trail records it: who gave it, through which channel, when, and what became of it, each in
/// its own field. Answers the run decided come from its event log (<see cref="Source"/> <c>run</c>); answers refused
/// before they reached the run come from <c>{Hub}Audit</c> (<see cref="Source"/> <c>api</c>).
/// </summary>
public sealed record AnswerAuditEntry
{
    /// <summary>The value of <see cref="Source"/> for an answer the run applied (accepted or rejected by validation).</summary>
    public const string RunSource = "run";

    /// <summary>The value of <see cref="Source"/> for an answer refused before it reached the run.</summary>
    public const string ApiSource = "api";

    /// <summary>The <see cref="Source"/> of answers refused by the review and confirm pages of links.</summary>
    public const string PagesSource = "pages";

    /// <summary>The outcome of an answer refused because the caller may not give it (not an assignee, or answering as someone else).</summary>
    public const string Forbidden = "Forbidden";

    /// <summary>
    /// The outcome of an answer refused because its request carried no valid credentials (401); its respondent is
    /// <c>anonymous</c>. Audited only when the route names a task that exists, once per caller and task per callback window.
    /// </summary>
    public const string Unauthorized = "Unauthorized";

    /// <summary>
    /// The outcome of a callback refused by the caller's rate limit (429); its respondent is the caller (a person's
    /// <c>user:NAME</c>, or <c>key:ID</c> for a system, whose body is not read). Audited as <see cref="Unauthorized"/> is.
    /// </summary>
    public const string RateLimited = "RateLimited";

    /// <summary>The run answered.</summary>
    public required string RunId { get; init; }

    /// <summary>The request answered: its id when known, else the target as the caller named it (a human node's name).</summary>
    public required string RequestId { get; init; }

    /// <summary>The answer's message id (the idempotency key of its delivery), when it had one.</summary>
    public string? MessageId { get; init; }

    /// <summary>Who answered, such as <c>user:ann</c>, or the respondent a system named.</summary>
    public required string Respondent { get; init; }

    /// <summary>The channel it came through, such as <c>http</c>, <c>callback</c> or <c>email</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>When it was decided.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>
    /// What became of it: a <see cref="Runs.ResponseStatus"/> name (<c>Accepted</c>, <c>Rejected</c>, <c>Duplicate</c>,
    /// <c>AlreadyAnswered</c>, <c>Expired</c>, <c>RunFinished</c>, <c>UnknownRequest</c>), <see cref="Forbidden"/>,
    /// <see cref="Unauthorized"/> or <see cref="RateLimited"/>.
    /// </summary>
    public required string Outcome { get; init; }

    /// <summary>Why, for a refusal or a rejection: the validation message or the reason.</summary>
    public string? Reason { get; init; }

    /// <summary>Where the entry comes from: <see cref="RunSource"/>, <see cref="ApiSource"/> or <see cref="PagesSource"/>.</summary>
    public required string Source { get; init; }
}
