namespace HumanLoop.Durable.Links;

/// <summary>
/// What a link's token says, once its signature is checked: which request of which run it answers, with which action,
/// for which assignee at which escalation level, and until when. A token is good for one decision.
/// </summary>
public sealed record LinkToken
{
    /// <summary>The action of a token that opens the review page rather than committing a quick action.</summary>
    public const string ReviewAction = "review";

    // A review token bound to one of the page's answers: "review:edit" opens the editor and commits only an edit.
    private const string FocusSeparator = ":";

    /// <summary>The token's own id (22 URL-safe characters): what marks it used, and the answer's message id.</summary>
    public required string Id { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The request the token answers.</summary>
    public required string RequestId { get; init; }

    /// <summary>
    /// <see cref="ReviewAction"/>; <c>review:</c> and an action's value, for a review page bound to that one answer (see
    /// <see cref="ReviewFor"/>); or the quick action's value (such as <c>approve</c>).
    /// </summary>
    public required string Action { get; init; }

    /// <summary>The assignee the link was sent to (<c>user:NAME</c> or <c>role:NAME</c>); the answer is recorded as theirs.</summary>
    public required string Assignee { get; init; }

    /// <summary>The task's escalation level when the link was made; a task escalated since refuses it.</summary>
    public required int EscalationLevel { get; init; }

    /// <summary>When the token was made.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>When the token stops being accepted.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Whether this token opens the review page.</summary>
    public bool IsReview => string.Equals(Action, ReviewAction, StringComparison.Ordinal) || ReviewFocus is not null;

    /// <summary>The one answer a review token is bound to (such as <c>edit</c> or <c>reject</c>), or null when it takes any of the page's answers.</summary>
    public string? ReviewFocus => Action.StartsWith(ReviewAction + FocusSeparator, StringComparison.Ordinal) && Action.Length > ReviewAction.Length + FocusSeparator.Length
        ? Action[(ReviewAction.Length + FocusSeparator.Length)..]
        : null;

    /// <summary>The action of a review token bound to the answer <paramref name="action"/>.</summary>
    /// <param name="action">The action's value, such as <c>edit</c>.</param>
    public static string ReviewFor(string action) => ReviewAction + FocusSeparator + action;
}
