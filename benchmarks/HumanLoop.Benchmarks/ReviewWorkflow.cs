using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Benchmarks;

/// <summary>
/// The review workflow the durable benchmarks run: <c>draft</c>, an approval with a one-day deadline (a default on
/// timeout), and <c>publish</c>, whose code takes the answer-to-next-node mark (<see cref="LatencyProbe"/>).
/// </summary>
internal static class ReviewWorkflow
{
    /// <param name="name">The graph's name.</param>
    /// <param name="assignee">Who is asked (<c>user:NAME</c> or <c>role:NAME</c>).</param>
    /// <param name="prompt">The question.</param>
    /// <param name="draft">The draft node.</param>
    public static CompiledGraph<Article> Build(string name, string assignee, Func<Article, string> prompt, Func<Article, NodeContext, Task<Article>> draft) =>
        new StateGraph<Article>(name, ArticleJson.Default.Article)
            .AddNode("draft", draft)
            .AddHumanNode("review", new ApprovalStep<Article>
            {
                Prompt = prompt,
                Assignees = [assignee],
                Timeout = new TimeoutPolicy { After = TimeSpan.FromDays(1), OnTimeout = TimeoutAction.TakeDefault },
                Default = new ApprovalDecision(false, "no answer in time"),
                Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
            })
            .AddNode("publish", (s, ctx) =>
            {
                LatencyProbe.NextNodeStarted(ctx.RunId);
                return Task.FromResult(s with { Published = true });
            })
            .SetEntryPoint("draft")
            .AddEdge("draft", "review")
            .AddConditionalEdges("review", s => s.Approved == true ? "publish" : Graph.End)
            .AddEdge("publish", Graph.End)
            .Compile();
}
