namespace HumanLoop.Human;

/// <summary>
/// The timers of a human step, in the Durable Functions human-interaction pattern: the step waits for its external
/// event while durable timers send reminders, escalate, and finally end the wait.
/// </summary>
public sealed record TimeoutPolicy
{
    /// <summary>Offsets from when a request opens at which a reminder is due. The default is none.</summary>
    public IReadOnlyList<TimeSpan> Reminders { get; init; } = [];

    /// <summary>
    /// The escalation chain: each step, <see cref="Escalation.After"/> the current request opened, closes it and
    /// opens a new one for the next assignees. The default is none.
    /// </summary>
    public IReadOnlyList<Escalation> Escalations { get; init; } = [];

    /// <summary>
    /// How long the step waits in all, counted from its first request (escalation does not restart it).
    /// The default (<see langword="null"/>) waits forever.
    /// </summary>
    public TimeSpan? After { get; init; }

    /// <summary>What happens when <see cref="After"/> elapses. The default takes the step's default answer.</summary>
    public TimeoutAction OnTimeout { get; init; } = TimeoutAction.TakeDefault;

    /// <summary>The node to route to when <see cref="OnTimeout"/> is <see cref="TimeoutAction.Route"/> (the 'timed out' edge).</summary>
    public string? TimedOutEdge { get; init; }
}

/// <summary>One link of an escalation chain.</summary>
/// <param name="After">How long after the current request opened the request passes on.</param>
/// <param name="Assignees">Who receives the request next.</param>
public sealed record Escalation(TimeSpan After, IReadOnlyList<string> Assignees);

/// <summary>What ends a human step's wait when its timeout elapses.</summary>
public enum TimeoutAction
{
    /// <summary>Accept the step's default answer, recorded as given by <c>system:timeout</c>.</summary>
    TakeDefault,

    /// <summary>Follow the step's 'timed out' edge to <see cref="TimeoutPolicy.TimedOutEdge"/> with the state unchanged.</summary>
    Route,

    /// <summary>Fail the run.</summary>
    FailRun,
}
