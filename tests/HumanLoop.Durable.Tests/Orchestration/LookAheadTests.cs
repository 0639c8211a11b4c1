using System.Collections.Immutable;
using System.Text.Json;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>
/// Putting right what a node activity stored by looking ahead when another message reached the run first: storage
/// must end as if there had been no look-ahead.
/// </summary>
public sealed class LookAheadTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void PutRight_InterleavedTransitionTookTheSequenceNumbersTheLookAheadWrote_WritesThoseEventsAgainAfterIt()
    {
        var ahead = new LookAhead(appliedAtCall: 3);
        ahead.Note(Record([Event(6, RunEventKind.NodeStarted, "retry"), Event(7, RunEventKind.NodeFailed, "retry")], opened: ["run:a:1"]));

        // The look-ahead, on the older state, wrote its own events 6 to 8 and opened b; the run's real transition came later.
        var recorded = new RecordKeys { Events = [6, 7, 8], Opened = ["run:b:1"] };
        var real = Record([Event(8, RunEventKind.NodeCompleted, "work"), Event(9, RunEventKind.HumanInputRequested, "b")], opened: ["run:b:1"]);

        var put = ahead.PutRight(real, recorded);

        Assert.Equal([6L, 7L, 8L, 9L], put.Events.Select(e => e.Sequence));
        Assert.Equal([RunEventKind.NodeStarted, RunEventKind.NodeFailed, RunEventKind.NodeCompleted, RunEventKind.HumanInputRequested], put.Events.Select(e => e.Kind));
        Assert.Null(put.Withdraw);
        Assert.Equal(["run:b:1"], put.Opened.Select(o => o.Request.Id));
    }

    [Fact]
    public void PutRight_LookAheadStoredRowsNoTransitionMade_WithdrawsThem()
    {
        var ahead = new LookAhead(appliedAtCall: 1);
        var recorded = new RecordKeys { Events = [4, 5, 6], Opened = ["run:x:1"] };
        var real = Record([Event(4, RunEventKind.NodeCompleted, "work")], opened: []);

        var put = ahead.PutRight(real, recorded);

        Assert.Equal([4L], put.Events.Select(e => e.Sequence));
        Assert.NotNull(put.Withdraw);
        Assert.Equal([5L, 6L], put.Withdraw.Events.AsEnumerable());
        Assert.Equal(["run:x:1"], put.Withdraw.Opened.AsEnumerable());
    }

    [Fact]
    public void PutRight_RequestOpenedByAnInterleavedTransition_IsNotWithdrawn()
    {
        var ahead = new LookAhead(appliedAtCall: 1);
        ahead.Note(Record([Event(3, RunEventKind.HumanInputRequested, "a")], opened: ["run:a:1"]));
        var put = ahead.PutRight(Record([Event(4, RunEventKind.NodeCompleted, "work")], opened: []), new RecordKeys { Events = [3], Opened = ["run:a:1"] });

        Assert.Null(put.Withdraw);
        Assert.Equal([3L, 4L], put.Events.Select(e => e.Sequence));
    }

    [Fact]
    public void SameAs_ComparesEventsOpenedAndClosedInOrder()
    {
        var keys = new RecordKeys { Events = [1, 2], Opened = ["a"], Closed = ["b|Accepted"] };
        Assert.True(keys.SameAs(new RecordKeys { Events = [1, 2], Opened = ["a"], Closed = ["b|Accepted"] }));
        Assert.False(keys.SameAs(new RecordKeys { Events = [1, 3], Opened = ["a"], Closed = ["b|Accepted"] }));
        Assert.False(keys.SameAs(new RecordKeys { Events = [1, 2], Opened = [], Closed = ["b|Accepted"] }));
        Assert.False(keys.SameAs(new RecordKeys { Events = [1, 2], Opened = ["a"], Closed = ["b|Escalated"] }));
        Assert.False(keys.SameAs(null));
    }

    private static RunEvent Event(long sequence, RunEventKind kind, string node) => new(sequence, At, kind, node);

    private static RecordInput Record(ImmutableArray<RunEvent> events, string[] opened) => new()
    {
        Graph = "g",
        RunId = "run",
        Events = events,
        Opened = [.. opened.Select(id => new OpenedTask(Request(id), JsonDocument.Parse("{}").RootElement))],
    };

    private static HumanRequest Request(string id) => new()
    {
        Id = id,
        RunId = "run",
        Node = id.Split(':')[1],
        TokenId = "t1",
        Kind = HumanStepKind.Text,
        Prompt = "?",
    };
}
