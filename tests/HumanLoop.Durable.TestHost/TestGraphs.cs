using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.TestHost;

/// <summary>The state of the test review workflow.</summary>
public sealed record Doc(string Topic, int DraftDelayMs = 0, string? Draft = null, bool? Approved = null, string? Reviewer = null, bool Published = false, string? Padding = null);

[JsonSerializable(typeof(Doc))]
public sealed partial class DocJson : JsonSerializerContext;

/// <summary>Graphs whose nodes record every execution in a table, so tests can count them across processes.</summary>
public static class TestGraphs
{
    /// <summary>draft (node) -> review (approval) -> publish (node) -> END; a rejection ends the run.</summary>
    public static CompiledGraph<Doc> Review { get; } = Build("review", timeout: null);

    /// <summary>Like <see cref="Review"/>, but the review times out after 1.5 s and takes a rejection by default.</summary>
    public static CompiledGraph<Doc> Timed { get; } = Build("timed", new TimeoutPolicy { After = TimeSpan.FromSeconds(1.5), OnTimeout = TimeoutAction.TakeDefault });

    /// <summary>Like <see cref="Review"/>, with reminders after 30 and 60 days and a deadline after 90 days that takes a rejection.</summary>
    public static CompiledGraph<Doc> Quarterly { get; } = Build("quarterly", new TimeoutPolicy
    {
        Reminders = [TimeSpan.FromDays(30), TimeSpan.FromDays(60)],
        After = TimeSpan.FromDays(90),
        OnTimeout = TimeoutAction.TakeDefault,
    });

    /// <summary>
    /// draft -> review (approval) -> publish -> END, where publish blocks its thread (no await) until
    /// <see cref="NodeGates.Open"/> is called for the run: a node whose synchronous part takes long.
    /// </summary>
    public static CompiledGraph<Doc> Gated { get; } = new StateGraph<Doc>("gated", DocJson.Default.Doc)
        .AddNode("draft", s => s with { Draft = $"About {s.Topic}." })
        .AddHumanNode("review", new ApprovalStep<Doc>
        {
            Prompt = s => $"Publish? {s.Draft}",
            RequireReasonOnReject = false,
            Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
        })
        .AddNode("publish", (s, ctx) =>
        {
            NodeGates.Block(ctx.RunId);
            return Task.FromResult(s with { Published = true });
        })
        .SetEntryPoint("draft")
        .AddEdge("draft", "review")
        .AddEdge("review", "publish")
        .AddEdge("publish", Graph.End)
        .Compile();

    /// <summary>How many parallel branches <see cref="Wide"/> fans out to: more events in one transition than a table transaction holds.</summary>
    public const int WideBranches = 120;

    /// <summary>split -> <see cref="WideBranches"/> parallel nodes -> join -> END, with no human step.</summary>
    public static CompiledGraph<Doc> Wide { get; } = BuildWide();

    private static CompiledGraph<Doc> BuildWide()
    {
        var branches = Enumerable.Range(0, WideBranches).Select(i => $"b{i:D3}").ToArray();
        var graph = new StateGraph<Doc>("wide", DocJson.Default.Doc)
            .AddNode("split", async (s, ctx) =>
            {
                await Record(ctx);
                return s;
            })
            .AddNode("join", async (s, ctx) =>
            {
                await Record(ctx);
                return s with { Published = true };
            })
            .SetEntryPoint("split")
            .AddFanOut("split", branches, "join")
            .AddEdge("join", Graph.End);
        foreach (var branch in branches)
        {
            graph.AddNode(branch, async (s, ctx) =>
            {
                await Record(ctx);
                return s;
            }).AddEdge(branch, "join");
        }

        return graph.Compile();
    }

    private static CompiledGraph<Doc> Build(string name, TimeoutPolicy? timeout) =>
        new StateGraph<Doc>(name, DocJson.Default.Doc)
            .AddNode("draft", async (s, ctx) =>
            {
                await Record(ctx);
                if (s.DraftDelayMs > 0)
                {
                    await Task.Delay(s.DraftDelayMs, ctx.CancellationToken);
                }

                return s with { Draft = $"About {s.Topic}." };
            })
            .AddHumanNode("review", new ApprovalStep<Doc>
            {
                Prompt = s => $"Publish? {s.Draft}",
                Assignees = [Assignee.Role("editor")],
                RequireReasonOnReject = false,
                Timeout = timeout,
                Default = new ApprovalDecision(false, "timed out"),
                Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
            })
            .AddNode("publish", async (s, ctx) =>
            {
                await Record(ctx);
                return s with { Published = true };
            })
            .SetEntryPoint("draft")
            .AddEdge("draft", "review")
            .AddConditionalEdges("review", s => s.Approved == true ? "publish" : Graph.End)
            .AddEdge("publish", Graph.End)
            .Compile();

    private static Task Record(NodeContext context) =>
        context.Services?.GetService<ExecutionLog>()?.RecordAsync(context.RunId, context.Node, context.CancellationToken) ?? Task.CompletedTask;
}
