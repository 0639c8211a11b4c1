using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Core.Tests.Graphs;

public sealed class CompileTests
{
    private static StateGraph<Doc> New() => new("g", TestJson.Default.Doc);

    private static GraphValidationException Problems(StateGraph<Doc> graph) => Assert.Throws<GraphValidationException>(() => graph.Compile());

    [Fact]
    public void Compile_ValidGraph_Succeeds()
    {
        var graph = New().AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", Graph.End).Compile();

        Assert.Equal(["a"], graph.Nodes);
        Assert.Equal("a", graph.EntryPoint);
    }

    [Fact]
    public void Compile_MissingEntryPoint_ReportsIt()
    {
        var e = Problems(New().AddNode("a", s => s).AddEdge("a", Graph.End));

        Assert.Contains("No entry point: call SetEntryPoint with the first node.", e.Problems);
    }

    [Fact]
    public void Compile_UnknownEntryPoint_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).SetEntryPoint("zz").AddEdge("a", Graph.End));

        Assert.Contains("Entry point 'zz' is not a node of the graph.", e.Problems);
    }

    [Fact]
    public void Compile_UnknownEdgeTarget_NamesBothNodes()
    {
        var e = Problems(New().AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", "nowhere"));

        Assert.Contains("Edge from 'a' targets unknown node 'nowhere'.", e.Problems);
    }

    [Fact]
    public void Compile_UnknownPathMapTarget_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).SetEntryPoint("a")
            .AddConditionalEdges("a", s => "x", new Dictionary<string, string> { ["x"] = Graph.End, ["y"] = "ghost" }));

        Assert.Contains("Edge from 'a' targets unknown node 'ghost'.", e.Problems);
    }

    [Fact]
    public void Compile_EdgeFromUnknownNode_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", Graph.End).AddEdge("ghost", "a"));

        Assert.Contains("Edge from unknown node 'ghost'.", e.Problems);
    }

    [Fact]
    public void Compile_UnreachableNode_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("island", s => s).SetEntryPoint("a")
            .AddEdge("a", Graph.End).AddEdge("island", Graph.End));

        Assert.Equal(["Node 'island' is unreachable from the entry point 'a'."], e.Problems);
    }

    [Fact]
    public void Compile_NodeWithNoWayOut_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("b", s => s).SetEntryPoint("a").AddEdge("a", "b"));

        Assert.Contains("Node 'b' has no way out: add an edge from it (to another node or END).", e.Problems);
    }

    [Fact]
    public void Compile_DuplicateNodeName_NamesIt()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", Graph.End));

        Assert.Contains("Duplicate node name 'a'.", e.Problems);
    }

    [Fact]
    public void Compile_EndUnreachable_ReportsIt()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("b", s => s).SetEntryPoint("a").AddEdge("a", "b").AddEdge("b", "a"));

        Assert.Equal(["END is unreachable: no path from the entry point 'a' leads to END."], e.Problems);
    }

    [Fact]
    public void Compile_TwoStaticEdgesFromOneNode_AsksForFanOutOrRouter()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("b", s => s).SetEntryPoint("a")
            .AddEdge("a", "b").AddEdge("a", Graph.End).AddEdge("b", Graph.End));

        Assert.Contains(e.Problems, p => p.StartsWith("Node 'a' has more than one outgoing edge", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_FanOutBranchThatCannotReachJoin_NamesBranchAndJoin()
    {
        var e = Problems(New().AddNode("plan", s => s).AddNode("left", s => s).AddNode("right", s => s).AddNode("join", s => s)
            .SetEntryPoint("plan").AddFanOut("plan", ["left", "right"], "join")
            .AddEdge("left", "join").AddEdge("right", Graph.End).AddEdge("join", Graph.End));

        Assert.Contains("Fan-out from 'plan': branch 'right' cannot reach its join 'join'.", e.Problems);
    }

    [Fact]
    public void Compile_ManyProblems_ReportsEveryOneInOneException()
    {
        var e = Problems(New().AddNode("a", s => s).AddNode("a", s => s).AddNode("b", s => s).AddNode("island", s => s)
            .AddEdge("a", "ghost").AddEdge("island", "a"));

        Assert.Contains("Duplicate node name 'a'.", e.Problems);
        Assert.Contains("No entry point: call SetEntryPoint with the first node.", e.Problems);
        Assert.Contains("Edge from 'a' targets unknown node 'ghost'.", e.Problems);
        Assert.Contains("Node 'b' has no way out: add an edge from it (to another node or END).", e.Problems);
        Assert.StartsWith("Graph 'g' is invalid (4 problems):", e.Message, StringComparison.Ordinal);
        Assert.Contains(" - Duplicate node name 'a'.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_HumanStepMisconfigured_ReportsEachRule()
    {
        var e = Problems(New()
            .AddHumanNode("ask", new ChoiceStep<Doc>
            {
                Prompt = _ => "?",
                Options = ["only"],
                MaxAttempts = 0,
                OnAttemptsExhausted = AttemptsExhaustedAction.TakeDefault,
                Timeout = new TimeoutPolicy { After = TimeSpan.FromMinutes(1), OnTimeout = TimeoutAction.Route, TimedOutEdge = "ghost" },
                Apply = (s, a) => s,
            })
            .SetEntryPoint("ask").AddEdge("ask", Graph.End));

        Assert.Contains("Human node 'ask': MaxAttempts must be at least 1 (was 0).", e.Problems);
        Assert.Contains("Human node 'ask': OnAttemptsExhausted is TakeDefault but the step declares no Default.", e.Problems);
        Assert.Contains("Human node 'ask': a choice needs at least two options.", e.Problems);
        Assert.Contains("Human node 'ask': 'timed out' edge targets unknown node 'ghost'.", e.Problems);
    }

    [Fact]
    public void Compile_InvalidTextPatternAndSchema_ReportsThem()
    {
        var e = Problems(New()
            .AddHumanNode("t", new TextStep<Doc> { Prompt = _ => "?", Pattern = "([a-z", Apply = (s, a) => s })
            .AddHumanNode("f", new FormStep<Doc> { Prompt = _ => "?", Schema = "{ not json", Apply = (s, a) => s })
            .SetEntryPoint("t").AddEdge("t", "f").AddEdge("f", Graph.End));

        Assert.Contains(e.Problems, p => p.StartsWith("Human node 't': pattern '([a-z' is not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Human node 'f': its JSON Schema is invalid", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_ReservedNodeName_IsRejected()
    {
        var e = Problems(New().AddNode(Graph.End, s => s).AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", Graph.End));

        Assert.Contains($"Node name '{Graph.End}' is reserved or empty.", e.Problems);
    }

    [Fact]
    public void ValidateInput_WrongShapeOrNull_SaysWhy()
    {
        var graph = New().AddNode("a", s => s).SetEntryPoint("a").AddEdge("a", Graph.End).Compile();

        Assert.Null(graph.ValidateInput(System.Text.Json.JsonDocument.Parse("""{"title":"x"}""").RootElement));
        Assert.StartsWith("The input is not a valid initial state for graph 'g':", graph.ValidateInput(System.Text.Json.JsonDocument.Parse("""{"counter":"many"}""").RootElement), StringComparison.Ordinal);
        Assert.Equal("Graph 'g' needs an initial state as a JSON object; the input is null.", graph.ValidateInput(System.Text.Json.JsonDocument.Parse("null").RootElement));
    }

    [Fact]
    public void ToMermaid_MarksHumanNodesAndDrawsEveryEdge()
    {
        var graph = New()
            .AddNode("draft", s => s)
            .AddHumanNode("review", new ApprovalStep<Doc>
            {
                Prompt = _ => "ok?",
                Timeout = new TimeoutPolicy { After = TimeSpan.FromDays(1), OnTimeout = TimeoutAction.Route, TimedOutEdge = "publish" },
                Apply = (s, a) => s with { Approved = a.Value.Approved },
            })
            .AddNode("publish", s => s)
            .SetEntryPoint("draft")
            .AddEdge("draft", "review")
            .AddConditionalEdges("review", s => s.Approved == true ? "yes" : "no", new Dictionary<string, string> { ["yes"] = "publish", ["no"] = "draft" })
            .AddEdge("publish", Graph.End)
            .Compile();

        var mermaid = graph.ToMermaid();

        Assert.StartsWith("flowchart TD", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_review{{\"&#128100; review (approval)\"}}:::human", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_draft[\"draft\"]", mermaid, StringComparison.Ordinal);
        Assert.DoesNotContain("n_draft[\"draft\"]:::human", mermaid, StringComparison.Ordinal);
        Assert.Contains("__start --> n_draft", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_review -.->|yes| n_publish", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_review -.->|no| n_draft", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_review -.->|timed out| n_publish", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_publish --> __end", mermaid, StringComparison.Ordinal);
        Assert.Contains("classDef human", mermaid, StringComparison.Ordinal);
    }
}
