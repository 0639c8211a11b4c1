using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>The state of the orchestrator tests' graphs.</summary>
public sealed record Flow(
    string Title = "",
    bool Prepared = false,
    bool? Approved = null,
    string? Reviewer = null,
    int Applied = 0,
    bool Published = false,
    IReadOnlyList<string>? Answers = null,
    string? A = null,
    string? B = null,
    string? C = null,
    string? Answer = null,
    string? AnsweredBy = null,
    bool TimedOut = false,
    bool Joined = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Flow))]
public sealed partial class FlowJson : JsonSerializerContext;

/// <summary>The graphs the orchestrator tests run on the engine.</summary>
internal static class TestGraphs
{
    /// <summary>Nodes of <see cref="Gated"/> wait here, by run id, until the test releases them.</summary>
    public static ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

    /// <summary>How many times <see cref="Flaky"/>'s node ran, by run id.</summary>
    public static ConcurrentDictionary<string, int> FlakyCalls { get; } = new();

    /// <summary>prepare → review (approval) → publish.</summary>
    public static CompiledGraph<Flow> Approval { get; } = new StateGraph<Flow>("approval", FlowJson.Default.Flow)
        .AddNode("prepare", s => s with { Prepared = true })
        .AddHumanNode("review", new ApprovalStep<Flow>
        {
            Prompt = s => $"Publish '{s.Title}'?",
            Assignees = [Assignee.Role("editor")],
            Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent, Applied = s.Applied + 1 },
        })
        .AddNode("publish", s => s with { Published = true })
        .SetEntryPoint("prepare")
        .AddEdge("prepare", "review")
        .AddEdge("review", "publish")
        .AddEdge("publish", Graph.End)
        .Compile();

    /// <summary>ask (text) again and again until the answer is "done"; every answer is appended.</summary>
    public static CompiledGraph<Flow> Loop { get; } = new StateGraph<Flow>("loop", FlowJson.Default.Flow)
        .AddHumanNode("ask", new TextStep<Flow>
        {
            Prompt = s => $"Answer {(s.Answers?.Count ?? 0) + 1}?",
            Apply = (s, a) => s with { Answers = [.. s.Answers ?? [], a.Value], Applied = s.Applied + 1 },
        })
        .SetEntryPoint("ask")
        .AddConditionalEdges("ask", s => s.Answers is [.., "done"] ? Graph.End : "ask")
        .Compile();

    /// <summary>wait (a node held by <see cref="Gates"/>) → ask (text) → END.</summary>
    public static CompiledGraph<Flow> Gated { get; } = new StateGraph<Flow>("gated", FlowJson.Default.Flow)
        .AddNode("wait", async (s, ctx) =>
        {
            await Gates.GetOrAdd(ctx.RunId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(ctx.CancellationToken);
            return s with { Prepared = true };
        })
        .AddHumanNode("ask", new TextStep<Flow>
        {
            Prompt = _ => "Anything?",
            Apply = (s, a) => s with { Answer = a.Value, AnsweredBy = a.Respondent, Applied = s.Applied + 1 },
        })
        .SetEntryPoint("wait")
        .AddEdge("wait", "ask")
        .AddEdge("ask", Graph.End)
        .Compile();

    /// <summary>A text step with a long reminder and deadline (30 days): answered at once, nothing may linger.</summary>
    public static CompiledGraph<Flow> LongWait { get; } = new StateGraph<Flow>("long-wait", FlowJson.Default.Flow)
        .AddHumanNode("ask", new TextStep<Flow>
        {
            Prompt = _ => "Take your time",
            Default = "nothing",
            Timeout = new TimeoutPolicy { Reminders = [TimeSpan.FromDays(1)], After = TimeSpan.FromDays(30) },
            Apply = (s, a) => s with { Answer = a.Value, AnsweredBy = a.Respondent },
        })
        .SetEntryPoint("ask")
        .AddEdge("ask", Graph.End)
        .Compile();

    /// <summary>A text step that times out after two seconds and takes its default.</summary>
    public static CompiledGraph<Flow> ShortDefault { get; } = new StateGraph<Flow>("short-default", FlowJson.Default.Flow)
        .AddHumanNode("ask", new TextStep<Flow>
        {
            Prompt = _ => "Quick!",
            Default = "fallback",
            Timeout = new TimeoutPolicy { After = TimeSpan.FromSeconds(2), OnTimeout = TimeoutAction.TakeDefault },
            Apply = (s, a) => s with { Answer = a.Value, AnsweredBy = a.Respondent },
        })
        .SetEntryPoint("ask")
        .AddEdge("ask", Graph.End)
        .Compile();

    /// <summary>A text step that times out after two seconds and follows its 'timed out' edge to shelve.</summary>
    public static CompiledGraph<Flow> ShortRoute { get; } = new StateGraph<Flow>("short-route", FlowJson.Default.Flow)
        .AddHumanNode("ask", new TextStep<Flow>
        {
            Prompt = _ => "Quick!",
            Timeout = new TimeoutPolicy { After = TimeSpan.FromSeconds(2), OnTimeout = TimeoutAction.Route, TimedOutEdge = "shelve" },
            Apply = (s, a) => s with { Answer = a.Value, AnsweredBy = a.Respondent },
        })
        .AddNode("shelve", s => s with { TimedOut = true })
        .SetEntryPoint("ask")
        .AddEdge("ask", Graph.End)
        .AddEdge("shelve", Graph.End)
        .Compile();

    /// <summary>plan → three human branches a, b, c at once → join.</summary>
    public static CompiledGraph<Flow> FanOut { get; } = new StateGraph<Flow>("fan-out", FlowJson.Default.Flow)
        .AddNode("plan", s => s with { Prepared = true })
        .AddHumanNode("a", Text((s, v) => s with { A = v }))
        .AddHumanNode("b", Text((s, v) => s with { B = v }))
        .AddHumanNode("c", Text((s, v) => s with { C = v }))
        .AddNode("join", s => s with { Joined = true })
        .SetEntryPoint("plan")
        .AddFanOut("plan", ["a", "b", "c"], "join")
        .AddEdge("a", "join")
        .AddEdge("b", "join")
        .AddEdge("c", "join")
        .AddEdge("join", Graph.End)
        .Compile();

    /// <summary>A node that throws on its first two attempts, with a retry policy of three quick attempts.</summary>
    public static CompiledGraph<Flow> Flaky { get; } = new StateGraph<Flow>("flaky", FlowJson.Default.Flow)
        .AddNode(
            "call",
            (s, ctx) =>
            {
                var calls = FlakyCalls.AddOrUpdate(ctx.RunId, 1, (_, n) => n + 1);
                return calls <= 2
                    ? Task.FromException<Flow>(new InvalidOperationException($"Attempt {ctx.Attempt} failed."))
                    : Task.FromResult(s with { Applied = calls });
            },
            new RetryPolicy { MaxAttempts = 3, FirstRetryInterval = TimeSpan.FromMilliseconds(200) })
        .SetEntryPoint("call")
        .AddEdge("call", Graph.End)
        .Compile();

    public static IReadOnlyList<CompiledGraph> All { get; } = [Approval, Loop, Gated, LongWait, ShortDefault, ShortRoute, FanOut, Flaky];

    private static TextStep<Flow> Text(Func<Flow, string, Flow> apply) => new()
    {
        Prompt = _ => "Your part?",
        Apply = (s, a) => apply(s, a.Value),
    };
}
