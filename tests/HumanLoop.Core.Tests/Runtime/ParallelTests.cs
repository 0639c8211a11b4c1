using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Core.Tests.Runtime;

public sealed class ParallelTests : IDisposable
{
    private readonly InProcessRuntime _runtime = new(new FakeTimeProvider());

    public void Dispose() => _runtime.Dispose();

    private static StateGraph<Doc> FanOut(Func<Doc, Doc> left, Func<Doc, Doc> right, bool appendLog = true)
    {
        var graph = new StateGraph<Doc>("parallel", TestJson.Default.Doc)
            .AddNode("plan", s => s with { Log = [.. s.Log ?? [], "plan"] })
            .AddNode("left", left)
            .AddNode("right", right)
            .AddNode("join", s => s with { Log = [.. s.Log ?? [], "join"] })
            .SetEntryPoint("plan")
            .AddFanOut("plan", ["left", "right"], "join")
            .AddEdge("left", "join")
            .AddEdge("right", "join")
            .AddEdge("join", Graph.End);
        return appendLog ? graph.WithMerge(s => s.Log, MergeRule.Append) : graph;
    }

    [Fact]
    public async Task FanOut_BranchesWritingDifferentPropertiesAndAppending_AreMerged()
    {
        var graph = FanOut(
            s => s with { Summary = "short", Log = [.. s.Log!, "left"] },
            s => s with { Outline = "1. 2. 3.", Log = [.. s.Log!, "right"] }).Compile();

        var id = await _runtime.StartAsync(graph, new Doc(Title: "t"));

        var output = graph.FromJson(_runtime.GetState(id).Output!.Value);
        Assert.Equal("short", output.Summary);
        Assert.Equal("1. 2. 3.", output.Outline);
        Assert.Equal(["plan", "left", "right", "join"], output.Log);
        Assert.Equal(4, _runtime.NodeExecutions);
    }

    [Fact]
    public async Task FanOut_SameScalarSetToSameValueByBoth_IsNotAConflict()
    {
        var graph = FanOut(s => s with { Summary = "same" }, s => s with { Summary = "same" }).Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        Assert.Equal(RunStatus.Completed, _runtime.GetState(id).Status);
    }

    [Fact]
    public async Task FanOut_ConflictingScalarWrites_FailTheRunNamingPropertyAndBranches()
    {
        var graph = FanOut(s => s with { Summary = "mine" }, s => s with { Summary = "theirs" }).Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        var state = _runtime.GetState(id);
        Assert.Equal(RunStatus.Failed, state.Status);
        Assert.Equal(
            "Merge conflict at join 'join': branches 'left' and 'right' both set 'summary' to different values. Let one branch own it, or declare a merge rule with WithMerge.",
            state.Error);
    }

    [Fact]
    public async Task FanOut_AppendWithoutRule_IsAConflict()
    {
        var graph = FanOut(s => s with { Log = [.. s.Log!, "l"] }, s => s with { Log = [.. s.Log!, "r"] }, appendLog: false).Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        Assert.Contains("both set 'log'", _runtime.GetState(id).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FanOut_BranchRewritingAppendList_IsAConflict()
    {
        var graph = FanOut(s => s with { Log = ["rewritten"] }, s => s).Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        Assert.Equal(
            "Merge conflict at join 'join': branch 'left' removed or changed existing items of 'log', whose merge rule is Append.",
            _runtime.GetState(id).Error);
    }

    [Fact]
    public async Task FanOut_HumanStepInOneBranch_OtherBranchKeepsWorking()
    {
        var graph = new StateGraph<Doc>("hybrid", TestJson.Default.Doc)
            .AddNode("plan", s => s)
            .AddHumanNode("ask", new TextStep<Doc> { Prompt = _ => "Name?", Apply = (s, a) => s with { Answer = a.Value } })
            .AddNode("build", s => s with { Draft = "built" })
            .AddNode("polish", s => s with { Summary = "polished" })
            .AddNode("join", s => s)
            .SetEntryPoint("plan")
            .AddFanOut("plan", ["ask", "build"], "join")
            .AddEdge("ask", "join")
            .AddEdge("build", "polish")
            .AddEdge("polish", "join")
            .AddEdge("join", Graph.End)
            .Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        var waiting = _runtime.GetState(id);
        Assert.Equal(RunStatus.Running, waiting.Status);
        var token = Assert.Single(waiting.Tokens);
        Assert.Equal(TokenPhase.WaitingHuman, token.Phase);
        Assert.Equal("polished", Assert.Single(waiting.Groups).Arrived[1]!.Value.GetProperty("summary").GetString());

        await _runtime.RespondAsync(id, "ask", JsonSerializer.SerializeToElement("Ada"), "ann");

        var output = graph.FromJson(_runtime.GetState(id).Output!.Value);
        Assert.Equal(("Ada", "built", "polished"), (output.Answer, output.Draft, output.Summary));
    }

    [Fact]
    public async Task Branch_ReachingEndBeforeJoin_FailsTheRun()
    {
        var graph = new StateGraph<Doc>("leaky", TestJson.Default.Doc)
            .AddNode("plan", s => s)
            .AddNode("left", s => s with { Counter = 1 })
            .AddNode("right", s => s)
            .AddNode("join", s => s)
            .SetEntryPoint("plan")
            .AddFanOut("plan", ["left", "right"], "join")
            .AddConditionalEdges("left", s => s.Counter == 1 ? Graph.End : "join")
            .AddEdge("right", "join")
            .AddEdge("join", Graph.End)
            .Compile();

        var id = await _runtime.StartAsync(graph, new Doc());

        Assert.Equal("Branch 'left' of the fan-out from 'plan' reached END before its join 'join'.", _runtime.GetState(id).Error);
    }
}
