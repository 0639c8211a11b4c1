using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Core.Tests.Runs;

public sealed class RunMachineRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    private static readonly CompiledGraph<Doc> Review = new StateGraph<Doc>("review", TestJson.Default.Doc)
        .AddNode("draft", s => s with { Draft = "d" })
        .AddHumanNode("approve", new ApprovalStep<Doc>
        {
            Prompt = s => $"Publish {s.Title}?",
            Apply = (s, a) => s with { Approved = a.Value.Approved, Respondent = a.Respondent },
        })
        .AddNode("publish", s => s with { Summary = "published" })
        .SetEntryPoint("draft")
        .AddEdge("draft", "approve")
        .AddConditionalEdges("approve", s => s.Approved == true ? "yes" : "no", new Dictionary<string, string> { ["yes"] = "publish", ["no"] = Graph.End })
        .AddEdge("publish", Graph.End)
        .Compile();

    private static JsonElement Text(string s) => JsonSerializer.SerializeToElement(s);

    private static (RunState State, RunNode Node) Started(string runId = "r1")
    {
        var t = RunMachine.Apply(Review, RunState.Create(runId, "review"), new StartRun(Review.ToJson(new Doc(Title: "Q3"))), T0);
        return (t.State, t.Effects.OfType<RunNode>().Single());
    }

    private static RunState Waiting()
    {
        var (state, node) = Started();
        return RunMachine.Apply(Review, state, new NodeCompleted(node.TaskId, Review.ToJson(new Doc(Title: "Q3", Draft: "d"))), T0).State;
    }

    [Fact]
    public void Start_EmitsNodeStartedAndRunNode_WithIdsDerivedFromRunId()
    {
        var t = RunMachine.Apply(Review, RunState.Create("r1", "review"), new StartRun(Review.ToJson(new Doc())), T0);

        Assert.Equal(RunStatus.Running, t.State.Status);
        var node = Assert.Single(t.Effects.OfType<RunNode>());
        Assert.Equal(("r1:n2", "draft", 1), (node.TaskId, node.Node, node.Attempt));
        var e = Assert.Single(t.Events);
        Assert.Equal((1L, RunEventKind.NodeStarted, "draft", T0), (e.Sequence, e.Kind, e.Node, e.At));
    }

    [Fact]
    public void Apply_SameInputsTwice_GivesIdenticalResults()
    {
        var a = RunMachine.Apply(Review, RunState.Create("r1", "review"), new StartRun(Review.ToJson(new Doc())), T0);
        var b = RunMachine.Apply(Review, RunState.Create("r1", "review"), new StartRun(Review.ToJson(new Doc())), T0);

        Assert.Equal(Serialize(a.State), Serialize(b.State));
    }

    [Fact]
    public void DuplicateMessages_ChangeNothingAndProduceNoEffects()
    {
        var (state, node) = Started();
        var completed = new NodeCompleted(node.TaskId, Review.ToJson(new Doc(Draft: "d")));
        var waiting = RunMachine.Apply(Review, state, completed, T0).State;

        var again = RunMachine.Apply(Review, waiting, completed, T0);
        Assert.False(again.Changed);
        Assert.Empty(again.Effects);
        Assert.Same(waiting, again.State);

        Assert.False(RunMachine.Apply(Review, waiting, new StartRun(Review.ToJson(new Doc())), T0).Changed);

        var respond = new HumanResponse("m1", "approve", Text("hmm"), "ann");
        var rejected = RunMachine.Apply(Review, waiting, respond, T0);
        Assert.Equal(ResponseStatus.Rejected, rejected.Response!.Status);
        var replay = RunMachine.Apply(Review, rejected.State, respond, T0);
        Assert.Equal(ResponseStatus.Duplicate, replay.Response!.Status);
        Assert.Empty(replay.Effects);
        Assert.Equal(1, Assert.Single(replay.State.OpenRequests).Attempts);
    }

    [Fact]
    public void InvalidAnswer_IsRefusedWithMessage_RequestStaysOpenWithAttemptRaised()
    {
        var t = RunMachine.Apply(Review, Waiting(), new HumanResponse("m1", "r1:approve:1", Text("perhaps"), "ann"), T0);

        Assert.Equal(ResponseStatus.Rejected, t.Response!.Status);
        Assert.Equal("Answer 'approve' or 'reject' (with a reason), not '\"perhaps\"'.", t.Response.Message);
        var request = Assert.Single(t.State.OpenRequests);
        Assert.Equal(1, request.Attempts);
        var e = Assert.Single(t.Events);
        Assert.Equal((RunEventKind.InputRejected, "ann", t.Response.Message), (e.Kind, e.Respondent, e.Message));
    }

    [Fact]
    public void AnswerEvents_CarryRespondentChannelAndOutcome_EachInItsOwnField()
    {
        var rejected = RunMachine.Apply(Review, Waiting(), new HumanResponse("m1", "approve", Text("perhaps"), "user:ann", "callback"), T0);
        var accepted = RunMachine.Apply(Review, rejected.State, new HumanResponse("m2", "approve", Text("approve"), "user:bob", "email"), T0.AddMinutes(1));

        var no = Assert.Single(rejected.Events);
        Assert.Equal(
            (RunEventKind.InputRejected, "user:ann", "callback", (ResponseStatus?)ResponseStatus.Rejected, rejected.Response!.Message),
            (no.Kind, no.Respondent, no.Channel, no.Outcome, no.Message));
        var yes = Assert.Single(accepted.Events, e => e.Kind == RunEventKind.InputAccepted);
        Assert.Equal(
            ("user:bob", "email", (ResponseStatus?)ResponseStatus.Accepted, (string?)null, T0.AddMinutes(1), "m2"),
            (yes.Respondent, yes.Channel, yes.Outcome, yes.Message, yes.At, yes.MessageId));
        Assert.Equal("m1", no.MessageId);
    }

    [Fact]
    public void ResponseToClosedRequest_IsRefusedWithWhoAnswered()
    {
        var answered = RunMachine.Apply(Review, Waiting(), new HumanResponse("m1", "approve", Text("reject: no"), "ann"), T0.AddMinutes(5));
        Assert.Equal(RunStatus.Completed, answered.State.Status);

        var late = RunMachine.Apply(Review, answered.State, new HumanResponse("m2", "r1:approve:1", Text("approve"), "bob"), T0.AddMinutes(6));

        Assert.Equal(ResponseStatus.AlreadyAnswered, late.Response!.Status);
        Assert.Equal("Request 'r1:approve:1' was already answered by ann at 2026-11-24T08:05:00.0000000+00:00.", late.Response.Message);
        Assert.False(late.Changed);
    }

    [Fact]
    public void ResponseToFinishedRun_AndUnknownRequest_AreRefusedWithReasons()
    {
        var waiting = Waiting();
        var unknown = RunMachine.Apply(Review, waiting, new HumanResponse("m1", "nonsense", Text("x"), "ann"), T0);
        Assert.Equal(ResponseStatus.UnknownRequest, unknown.Response!.Status);
        Assert.Equal("Run 'r1' has no request 'nonsense' (open requests: r1:approve:1).", unknown.Response.Message);
        Assert.False(unknown.Changed);

        var terminated = RunMachine.Apply(Review, waiting, new TerminateRun("cancelled by user"), T0).State;
        var finished = RunMachine.Apply(Review, terminated, new HumanResponse("m2", "approve", Text("approve"), "ann"), T0);
        Assert.Equal(ResponseStatus.RunFinished, finished.Response!.Status);
        Assert.Equal("Run 'r1' has finished (Terminated); it takes no more answers.", finished.Response.Message);
    }

    [Fact]
    public void EarlyResponse_ByNodeNameCaseInsensitive_IsHeldUntilTheRequestOpens()
    {
        var (state, node) = Started();
        var early = RunMachine.Apply(Review, state, new HumanResponse("m1", "APPROVE", Text("approve"), "ann"), T0);
        Assert.Equal(ResponseStatus.Buffered, early.Response!.Status);
        Assert.Single(early.State.Buffered);

        var t = RunMachine.Apply(Review, early.State, new NodeCompleted(node.TaskId, Review.ToJson(new Doc(Draft: "d"))), T0);

        Assert.Equal(
            [RunEventKind.NodeCompleted, RunEventKind.NodeStarted, RunEventKind.HumanInputRequested, RunEventKind.InputAccepted, RunEventKind.NodeCompleted, RunEventKind.NodeStarted],
            t.Events.Select(e => e.Kind).ToArray());
        Assert.Empty(t.State.Buffered);
        Assert.Equal("ann", t.State.Requests.Single().Respondent);

        // What became of the kept answer is reported with the transition that applied it.
        var (messageId, late) = Assert.Single(t.LateOutcomes);
        Assert.Equal(("m1", ResponseStatus.Accepted, "ann"), (messageId, late.Status, late.Request!.Respondent));
        Assert.Null(t.Response);
    }

    [Fact]
    public void EarlyResponse_Invalid_IsReportedRejectedWhenTheRequestOpens()
    {
        var (state, node) = Started();
        var early = RunMachine.Apply(Review, state, new HumanResponse("m1", "approve", Text("maybe"), "ann"), T0);

        var t = RunMachine.Apply(Review, early.State, new NodeCompleted(node.TaskId, Review.ToJson(new Doc(Draft: "d"))), T0);

        var (messageId, late) = Assert.Single(t.LateOutcomes);
        Assert.Equal(("m1", ResponseStatus.Rejected), (messageId, late.Status));
        Assert.Equal(HumanRequestStatus.Open, t.State.Requests.Single().Status);
    }

    [Fact]
    public void EarlyResponse_ByFutureRequestId_IsHeld()
    {
        var (state, _) = Started();

        var t = RunMachine.Apply(Review, state, new HumanResponse("m1", "r1:approve:1", Text("approve"), "ann"), T0);

        Assert.Equal(ResponseStatus.Buffered, t.Response!.Status);
    }

    [Fact]
    public void StaleNodeResultAndUnknownTimer_AreIgnored()
    {
        var waiting = Waiting();

        Assert.False(RunMachine.Apply(Review, waiting, new NodeCompleted("r1:n999", Review.ToJson(new Doc())), T0).Changed);
        Assert.False(RunMachine.Apply(Review, waiting, new NodeFailed("r1:n999", "x"), T0).Changed);
        Assert.False(RunMachine.Apply(Review, waiting, new TimerFired("r1:t999"), T0).Changed);
    }

    [Fact]
    public void Router_ReturningUnknownName_FailsRunNamingNodeAndValue()
    {
        var graph = new StateGraph<Doc>("bad-router", TestJson.Default.Doc)
            .AddNode("a", s => s)
            .AddNode("b", s => s)
            .SetEntryPoint("a")
            .AddConditionalEdges("a", s => "bogus")
            .AddEdge("b", Graph.End)
            .Compile();
        var start = RunMachine.Apply(graph, RunState.Create("r", graph.Name), new StartRun(graph.ToJson(new Doc())), T0);
        var node = start.Effects.OfType<RunNode>().Single();

        var t = RunMachine.Apply(graph, start.State, new NodeCompleted(node.TaskId, graph.ToJson(new Doc())), T0);

        Assert.Equal(RunStatus.Failed, t.State.Status);
        Assert.Equal("The router of node 'a' returned 'bogus', which is not a node of graph 'bad-router' (nodes: a, b, or END).", t.State.Error);
        Assert.Equal(RunEventKind.Failed, t.Events.Last().Kind);
        Assert.Contains(t.Effects, e => e is FailRun);
    }

    [Fact]
    public void Router_ReturningKeyMissingFromPathMap_FailsRunNamingIt()
    {
        var graph = new StateGraph<Doc>("map", TestJson.Default.Doc)
            .AddNode("a", s => s)
            .SetEntryPoint("a")
            .AddConditionalEdges("a", s => "maybe", new Dictionary<string, string> { ["done"] = Graph.End })
            .Compile();
        var start = RunMachine.Apply(graph, RunState.Create("r", graph.Name), new StartRun(graph.ToJson(new Doc())), T0);

        var t = RunMachine.Apply(graph, start.State, new NodeCompleted(start.Effects.OfType<RunNode>().Single().TaskId, graph.ToJson(new Doc())), T0);

        Assert.Equal("The router of node 'a' returned 'maybe', which is not a key of its path map (done).", t.State.Error);
    }

    [Fact]
    public void Terminate_ClosesRequestsAndCancelsTimers_Once()
    {
        var graph = new StateGraph<Doc>("timed", TestJson.Default.Doc)
            .AddHumanNode("ask", new TextStep<Doc>
            {
                Prompt = _ => "?",
                Timeout = new TimeoutPolicy { Reminders = [TimeSpan.FromHours(1)] },
                Apply = (s, a) => s,
            })
            .SetEntryPoint("ask")
            .AddEdge("ask", Graph.End)
            .Compile();
        var waiting = RunMachine.Apply(graph, RunState.Create("r", graph.Name), new StartRun(graph.ToJson(new Doc())), T0).State;

        var t = RunMachine.Apply(graph, waiting, new TerminateRun("stop"), T0);

        Assert.Equal(RunStatus.Terminated, t.State.Status);
        Assert.Equal("stop", t.State.Error);
        Assert.Contains(t.Effects, e => e is CloseHumanRequest { Status: HumanRequestStatus.Cancelled });
        Assert.Contains(t.Effects, e => e is CancelTimer);
        Assert.Equal(RunEventKind.Terminated, Assert.Single(t.Events).Kind);
        Assert.False(RunMachine.Apply(graph, t.State, new TerminateRun("again"), T0).Changed);
    }

    [Fact]
    public void Abort_FailsRunningRunWithReason_AndLeavesFinishedRunAlone()
    {
        var t = RunMachine.Apply(Review, Waiting(), new AbortRun("poison message after 5 dequeues"), T0);

        Assert.Equal(RunStatus.Failed, t.State.Status);
        Assert.Equal("poison message after 5 dequeues", t.State.Error);
        Assert.Contains(t.Effects, e => e is CloseHumanRequest { Status: HumanRequestStatus.Cancelled });
        Assert.False(RunMachine.Apply(Review, t.State, new AbortRun("again"), T0).Changed);
    }

    [Fact]
    public void ExceptionInUserCode_FailsTheRunDeterministically()
    {
        var graph = new StateGraph<Doc>("throws", TestJson.Default.Doc)
            .AddHumanNode("ask", new TextStep<Doc> { Prompt = _ => throw new InvalidOperationException("no prompt"), Apply = (s, a) => s })
            .SetEntryPoint("ask")
            .AddEdge("ask", Graph.End)
            .Compile();

        var t = RunMachine.Apply(graph, RunState.Create("r", graph.Name), new StartRun(graph.ToJson(new Doc())), T0);

        Assert.Equal(RunStatus.Failed, t.State.Status);
        Assert.Equal("StartRun could not be applied: InvalidOperationException: no prompt", t.State.Error);
    }

    private static string Serialize(RunState state) => JsonSerializer.Serialize(state, HumanLoop.Serialization.HumanLoopJsonContext.Default.RunState);
}
