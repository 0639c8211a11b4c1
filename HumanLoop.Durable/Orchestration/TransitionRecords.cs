using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// What a transition leaves for storage (its events, the human tasks it opened and closed), computed from the
/// transition alone. The orchestrator and the node activity's look-ahead both use it, so both describe a
/// transition the same way.
/// </summary>
internal static class TransitionRecords
{
    /// <summary>The records of <paramref name="transition"/>.</summary>
    /// <param name="graph">The graph's name.</param>
    /// <param name="transition">The transition, whose <see cref="Transition.State"/> is the run's new state.</param>
    /// <param name="cause">The answer the transition applied, if it applied one (its channel goes to the closed task).</param>
    public static RecordInput Build(string graph, Transition transition, HumanResponse? cause)
    {
        var state = transition.State;
        var events = ImmutableArray.CreateBuilder<RunEvent>();
        var opened = ImmutableArray.CreateBuilder<OpenedTask>();
        var closed = ImmutableArray.CreateBuilder<ClosedTask>();
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case OpenHumanRequest open:
                    opened.Add(new OpenedTask(open.Request, TokenState(state, open.Request.TokenId), Deadline(state, open.Request.TokenId)));
                    break;
                case CloseHumanRequest close when state.Requests.FirstOrDefault(r => r.Id == close.RequestId) is { } request:
                    // The channel is the answer's that this transition accepted for this very request, if any.
                    var acceptedHere = transition.Response is { Status: ResponseStatus.Accepted, Request.Id: var id } && id == request.Id;
                    closed.Add(new ClosedTask(request, acceptedHere ? cause?.Channel : null));
                    break;
                case AppendEvent append:
                    events.Add(append.Event);
                    break;
            }
        }

        return new RecordInput
        {
            Graph = graph,
            RunId = state.RunId,
            Events = events.ToImmutable(),
            Opened = opened.ToImmutable(),
            Closed = closed.ToImmutable(),
        };
    }

    /// <summary>The keys of a record: which event rows and task rows it writes.</summary>
    /// <param name="record">The record.</param>
    public static RecordKeys Keys(RecordInput record) => new()
    {
        Events = record.Events.IsDefault ? [] : [.. record.Events.Select(e => e.Sequence)],
        Opened = record.Opened.IsDefault ? [] : [.. record.Opened.Select(o => o.Request.Id)],
        Closed = record.Closed.IsDefault ? [] : [.. record.Closed.Select(c => c.Request.Id + "|" + c.Request.Status)],
    };

    private static DateTimeOffset? Deadline(RunState state, string tokenId) =>
        state.Tokens.FirstOrDefault(t => t.Id == tokenId)?.DeadlineTimerId is { } timerId
            ? state.Timers.FirstOrDefault(t => t.Id == timerId)?.DueAt
            : null;

    private static JsonElement TokenState(RunState state, string tokenId) =>
        state.Tokens.FirstOrDefault(t => t.Id == tokenId)?.State ?? JsonValues.Null;
}

/// <summary>
/// Which rows a record wrote: event sequence numbers, opened request ids, and closed requests with the status they
/// closed in. Two records with the same keys describe the same transition.
/// </summary>
public sealed record RecordKeys
{
    /// <summary>The events' sequence numbers.</summary>
    public ImmutableArray<long> Events { get; init; } = [];

    /// <summary>The ids of the requests that opened.</summary>
    public ImmutableArray<string> Opened { get; init; } = [];

    /// <summary>The requests that closed, as <c>id|status</c>.</summary>
    public ImmutableArray<string> Closed { get; init; } = [];

    /// <summary>Whether two sets of keys name the same rows.</summary>
    /// <param name="other">The other keys.</param>
    public bool SameAs(RecordKeys? other) =>
        other is not null
        && Events.AsSpan().SequenceEqual(other.Events.AsSpan())
        && Opened.SequenceEqual(other.Opened, StringComparer.Ordinal)
        && Closed.SequenceEqual(other.Closed, StringComparer.Ordinal);
}
