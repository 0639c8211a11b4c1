using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// What the orchestrator asks storage to record after a transition: the run's new events, the human tasks it opened
/// (with the state their answers are checked against) and the ones it closed. Writing it twice is harmless.
/// </summary>
public sealed record RecordInput
{
    /// <summary>The graph's name.</summary>
    public required string Graph { get; init; }

    /// <summary>The run id.</summary>
    public required string RunId { get; init; }

    /// <summary>Events to append, in sequence order.</summary>
    public ImmutableArray<RunEvent> Events { get; init; } = [];

    /// <summary>Requests that opened.</summary>
    public ImmutableArray<OpenedTask> Opened { get; init; } = [];

    /// <summary>Requests that closed, as they are now (status, answer, respondent, time).</summary>
    public ImmutableArray<ClosedTask> Closed { get; init; } = [];

    /// <summary>
    /// Rows a node activity stored by looking ahead that this transition does not have (something else reached the
    /// run first): event rows to delete, and opened tasks to delete. Null when there are none.
    /// </summary>
    public RecordKeys? Withdraw { get; init; }

    /// <summary>
    /// Whether the rows are stored already and only the notices (email, webhooks) remain to be sent: a node activity
    /// stored them but its notices failed.
    /// </summary>
    public bool NotifyOnly { get; init; }

    /// <summary>
    /// Which attempt of the orchestrator's at recording this is: 1, then one more after each failed record activity
    /// (a crash re-delivers the same attempt).
    /// </summary>
    public int Attempt { get; init; } = 1;

    /// <summary>
    /// Whether an earlier activity may have sent some of these notices: a later attempt, or notices a node activity
    /// could not finish sending. The notifier then reads what went out before sending what did not.
    /// </summary>
    [JsonIgnore]
    public bool IsRetry => Attempt > 1 || NotifyOnly;

    /// <summary>This record followed by <paramref name="next"/>, a later transition's of the same run, as one record.</summary>
    /// <param name="next">The later record.</param>
    public RecordInput Merge(RecordInput next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return this with
        {
            Events = [.. Events.IsDefault ? [] : Events, .. next.Events.IsDefault ? [] : next.Events],
            Opened = [.. Opened.IsDefault ? [] : Opened, .. next.Opened.IsDefault ? [] : next.Opened],
            Closed = [.. Closed.IsDefault ? [] : Closed, .. next.Closed.IsDefault ? [] : next.Closed],
            Withdraw = Withdraw ?? next.Withdraw,
        };
    }

    /// <summary>Whether there is nothing to record.</summary>
    public bool IsEmpty => Events.IsDefaultOrEmpty && Opened.IsDefaultOrEmpty && Closed.IsDefaultOrEmpty && Withdraw is null;
}

/// <summary>A request that opened.</summary>
/// <param name="Request">The request.</param>
/// <param name="State">The state of the path that asks, which answers are checked against.</param>
/// <param name="Deadline">When the step's wait ends, when it has a timeout.</param>
public sealed record OpenedTask(HumanRequest Request, JsonElement State, DateTimeOffset? Deadline = null);

/// <summary>A request that closed.</summary>
/// <param name="Request">The request as it closed.</param>
/// <param name="Channel">The channel of the answer that closed it, when an answer did.</param>
public sealed record ClosedTask(HumanRequest Request, string? Channel);
