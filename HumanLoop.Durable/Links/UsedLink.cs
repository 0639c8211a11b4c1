namespace HumanLoop.Durable.Links;

/// <summary>A link token that was spent (or is being spent): what it decided, for whom, by whom and when.</summary>
public sealed record UsedLink
{
    /// <summary>The token's id.</summary>
    public required string TokenId { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The request it answered.</summary>
    public required string RequestId { get; init; }

    /// <summary>The token's action (<see cref="LinkToken.ReviewAction"/> or a quick action).</summary>
    public required string Action { get; init; }

    /// <summary>The assignee the link was sent to.</summary>
    public required string Assignee { get; init; }

    /// <summary>Whether the decision is recorded; false while the answer that claimed the token is being applied.</summary>
    public bool Completed { get; init; }

    /// <summary>When the token was claimed by the answer that spends it.</summary>
    public DateTimeOffset ClaimedAt { get; init; }

    /// <summary>The answer sent, as JSON text (when completed).</summary>
    public string? Decision { get; init; }

    /// <summary>What the run made of it: <c>Accepted</c>, <c>Duplicate</c> or <c>Buffered</c> (when completed).</summary>
    public string? Outcome { get; init; }

    /// <summary>Who answered (when completed).</summary>
    public string? Respondent { get; init; }

    /// <summary>When the decision was recorded (when completed).</summary>
    public DateTimeOffset? UsedAt { get; init; }
}
