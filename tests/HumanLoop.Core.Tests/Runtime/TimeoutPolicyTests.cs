using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Core.Tests.Runtime;

public sealed class TimeoutPolicyTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private readonly InProcessRuntime _runtime;

    public TimeoutPolicyTests() => _runtime = new InProcessRuntime(_time);

    public void Dispose() => _runtime.Dispose();

    private static CompiledGraph<Doc> ReviewGraph(TimeoutPolicy timeout, AttemptsExhaustedAction exhausted = AttemptsExhaustedAction.FailRun)
    {
        var graph = new StateGraph<Doc>("review", TestJson.Default.Doc)
            .AddNode("draft", s => s with { Draft = "draft of " + s.Title })
            .AddHumanNode("approve", new ApprovalStep<Doc>
            {
                Prompt = s => $"Publish '{s.Draft}'?",
                Assignees = [Assignee.User("ann")],
                MaxAttempts = 2,
                OnAttemptsExhausted = exhausted,
                Default = new ApprovalDecision(false, "no answer"),
                Timeout = timeout,
                Apply = (s, a) => s with { Approved = a.Value.Approved, Reason = a.Value.Reason, Respondent = a.Respondent },
            })
            .AddNode("publish", s => s with { Summary = s.Approved == true ? "published" : "shelved" })
            .SetEntryPoint("draft")
            .AddEdge("draft", "approve")
            .AddEdge("approve", "publish")
            .AddEdge("publish", Graph.End);
        if (timeout.TimedOutEdge is not null)
        {
            graph.AddNode("chase", s => s with { Summary = "chased by email" }).AddEdge("chase", Graph.End);
        }

        return graph.Compile();
    }

    private Task<string> StartAsync(CompiledGraph<Doc> graph) => _runtime.StartAsync(graph, new Doc(Title: "Q3"), "run-1");

    private List<RunEvent> Events(RunEventKind kind) => [.. _runtime.GetEvents("run-1").Where(e => e.Kind == kind)];

    private static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text);

    [Fact]
    public async Task Reminders_FireAtTheirOffsets_AndStopOnceAnswered()
    {
        var graph = ReviewGraph(new TimeoutPolicy { Reminders = [TimeSpan.FromHours(1), TimeSpan.FromHours(4)] });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.Empty(Events(RunEventKind.ReminderDue));
        _time.Advance(TimeSpan.FromMinutes(1));
        var first = Assert.Single(Events(RunEventKind.ReminderDue));
        Assert.Equal(_time.GetUtcNow(), first.At);
        Assert.Equal("run-1:approve:1", first.RequestId);
        Assert.Equal("[\"user:ann\"]", first.Data!.Value.GetRawText());

        await _runtime.RespondAsync("run-1", "approve", Json("approve"), "ann");
        _time.Advance(TimeSpan.FromHours(10));

        Assert.Single(Events(RunEventKind.ReminderDue));
        Assert.Equal(RunStatus.Completed, _runtime.GetState("run-1").Status);
        Assert.Empty(_runtime.GetState("run-1").Timers);
    }

    [Fact]
    public async Task Escalation_PassesRequestDownTheChain_AndOldRequestIsRefused()
    {
        var graph = ReviewGraph(new TimeoutPolicy
        {
            Escalations = [new Escalation(TimeSpan.FromHours(2), [Assignee.User("bob")]), new Escalation(TimeSpan.FromHours(2), [Assignee.Role("editors")])],
        });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromHours(2));
        var open = Assert.Single(_runtime.GetState("run-1").OpenRequests);
        Assert.Equal("run-1:approve:2", open.Id);
        Assert.Equal(["user:bob"], open.Assignees.ToArray());
        Assert.Equal(1, open.EscalationLevel);

        _time.Advance(TimeSpan.FromHours(2));
        open = Assert.Single(_runtime.GetState("run-1").OpenRequests);
        Assert.Equal(["role:editors"], open.Assignees.ToArray());
        Assert.Equal(2, Events(RunEventKind.Escalated).Count);

        var stale = await _runtime.RespondAsync("run-1", "run-1:approve:1", Json("approve"), "ann");
        Assert.Equal(ResponseStatus.Expired, stale.Status);
        Assert.Contains("the request is now 'run-1:approve:2'", stale.Message, StringComparison.Ordinal);

        var accepted = await _runtime.RespondAsync("run-1", open.Id, Json("approve"), "eve");
        Assert.Equal(ResponseStatus.Accepted, accepted.Status);
        Assert.Equal("eve", _runtime.GetState("run-1").Output!.Value.GetProperty("respondent").GetString());

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, Events(RunEventKind.Escalated).Count);
    }

    [Fact]
    public async Task DefaultAfterDelay_TakesDefaultAnswer_RecordedAsSystemTimeout()
    {
        var graph = ReviewGraph(new TimeoutPolicy { After = TimeSpan.FromDays(2), OnTimeout = TimeoutAction.TakeDefault });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(RunStatus.Running, _runtime.GetState("run-1").Status);
        _time.Advance(TimeSpan.FromSeconds(1));

        var state = _runtime.GetState("run-1");
        Assert.Equal(RunStatus.Completed, state.Status);
        Assert.Equal("shelved", state.Output!.Value.GetProperty("summary").GetString());
        Assert.Single(Events(RunEventKind.TimedOut));
        var accepted = Assert.Single(Events(RunEventKind.InputAccepted));
        Assert.Equal("system:timeout", accepted.Respondent);
    }

    [Fact]
    public async Task Deadline_IsNotRestartedByEscalation()
    {
        var graph = ReviewGraph(new TimeoutPolicy
        {
            Escalations = [new Escalation(TimeSpan.FromHours(20), [Assignee.User("bob")])],
            After = TimeSpan.FromDays(1),
        });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromHours(20));
        Assert.Single(Events(RunEventKind.Escalated));
        _time.Advance(TimeSpan.FromHours(4));

        Assert.Single(Events(RunEventKind.TimedOut));
        Assert.Equal(RunStatus.Completed, _runtime.GetState("run-1").Status);
    }

    [Fact]
    public async Task TimedOutEdge_RoutesToItsNodeWithoutAnAnswer()
    {
        var graph = ReviewGraph(new TimeoutPolicy { After = TimeSpan.FromHours(8), OnTimeout = TimeoutAction.Route, TimedOutEdge = "chase" });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromHours(8));

        var state = _runtime.GetState("run-1");
        Assert.Equal(RunStatus.Completed, state.Status);
        Assert.Equal("chased by email", state.Output!.Value.GetProperty("summary").GetString());
        Assert.Empty(Events(RunEventKind.InputAccepted));
        Assert.Equal(HumanRequestStatus.TimedOut, Assert.Single(state.Requests).Status);
        var late = await _runtime.RespondAsync("run-1", "run-1:approve:1", Json("approve"), "ann");
        Assert.Equal(ResponseStatus.Expired, late.Status);
        Assert.Equal("Request 'run-1:approve:1' timed out at 2026-11-24T17:00:00.0000000+00:00.", late.Message);
        var other = await _runtime.RespondAsync("run-1", "approve", Json("approve"), "ann");
        Assert.Equal(ResponseStatus.RunFinished, other.Status);
    }

    [Fact]
    public async Task TimeoutFailRun_FailsWithTheStepNamed()
    {
        var graph = ReviewGraph(new TimeoutPolicy { After = TimeSpan.FromMinutes(30), OnTimeout = TimeoutAction.FailRun });
        await StartAsync(graph);

        _time.Advance(TimeSpan.FromMinutes(30));

        var state = _runtime.GetState("run-1");
        Assert.Equal(RunStatus.Failed, state.Status);
        Assert.Equal("Human node 'approve' timed out after 00:30:00.", state.Error);
    }

    [Fact]
    public async Task AttemptsExhausted_Escalate_OpensRequestForNextAssignee()
    {
        var graph = ReviewGraph(
            new TimeoutPolicy { Escalations = [new Escalation(TimeSpan.FromDays(3), [Assignee.User("boss")])] },
            AttemptsExhaustedAction.Escalate);
        await StartAsync(graph);

        var first = await _runtime.RespondAsync("run-1", "approve", Json("hmm"), "ann");
        Assert.Equal(ResponseStatus.Rejected, first.Status);
        Assert.Equal(1, first.Request!.Attempts);
        Assert.Equal(HumanRequestStatus.Open, first.Request.Status);
        await _runtime.RespondAsync("run-1", "approve", Json("erm"), "ann");

        var open = Assert.Single(_runtime.GetState("run-1").OpenRequests);
        Assert.Equal(["user:boss"], open.Assignees.ToArray());
        Assert.Equal(0, open.Attempts);
        Assert.Equal("Escalated to user:boss: 2 invalid answers.", Assert.Single(Events(RunEventKind.Escalated)).Message);
    }

    [Fact]
    public async Task AttemptsExhausted_FailRun_FailsWithLastError()
    {
        var graph = ReviewGraph(new TimeoutPolicy());
        await StartAsync(graph);

        await _runtime.RespondAsync("run-1", "approve", Json("hmm"), "ann");
        await _runtime.RespondAsync("run-1", "approve", Json("reject"), "ann");

        var state = _runtime.GetState("run-1");
        Assert.Equal(RunStatus.Failed, state.Status);
        Assert.Equal("Human node 'approve' received 2 invalid answers (the last: A rejection needs a reason, for example 'reject: the figures are wrong'.).", state.Error);
        Assert.Equal(HumanRequestStatus.Cancelled, Assert.Single(state.Requests).Status);
    }
}
