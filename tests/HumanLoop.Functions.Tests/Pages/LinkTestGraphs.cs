using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>The state of the link test graphs: a topic, the draft written from it, and what the reviewer decided.</summary>
public sealed record ArticleState(
    string Topic = "tides",
    string? Draft = null,
    string? Final = null,
    bool Changed = false,
    bool? Approved = null,
    string? Reason = null,
    string? DecidedBy = null,
    string? Published = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ArticleState))]
internal sealed partial class ArticleJsonContext : JsonSerializerContext;

/// <summary>
/// Two small graphs for the link pages: <c>link-edit</c> (an Edit step for user alice or role editor, at most 120
/// characters; one invalid answer escalates it to user chief), <c>link-approval</c> (an Approval step for user alice),
/// and <c>link-callback</c> (the same approval, answered only through the console and the callback API: no email links).
/// </summary>
internal static class LinkTestGraphs
{
    public const string Edit = "link-edit";
    public const string Approval = "link-approval";
    public const string CallbackOnly = "link-callback";
    public const int MaxLength = 120;

    public static CompiledGraph<ArticleState> BuildEdit() =>
        new StateGraph<ArticleState>(Edit, ArticleJsonContext.Default.ArticleState)
            .AddNode("write", s => s with { Draft = $"A short piece about {s.Topic}." })
            .AddHumanNode("review", new EditStep<ArticleState>
            {
                Prompt = s => $"Review the piece about {s.Topic}",
                Value = s => s.Draft!,
                MaxLength = MaxLength,
                Assignees = [Assignee.User("alice"), Assignee.Role("editor")],
                MaxAttempts = 1,
                OnAttemptsExhausted = AttemptsExhaustedAction.Escalate,
                Timeout = new TimeoutPolicy { Escalations = [new Escalation(TimeSpan.FromDays(1), [Assignee.User("chief")])] },
                Apply = (s, answer) => s with { Final = answer.Value.Value, Changed = answer.Value.Changed, DecidedBy = answer.Respondent },
            })
            .AddNode("publish", s => s with { Published = "Published: " + s.Final })
            .SetEntryPoint("write")
            .AddEdge("write", "review")
            .AddEdge("review", "publish")
            .AddEdge("publish", Graph.End)
            .Compile();

    public static CompiledGraph<ArticleState> BuildApproval() => BuildApproval(Approval, HumanChannel.Any);

    public static CompiledGraph<ArticleState> BuildCallbackOnly() => BuildApproval(CallbackOnly, HumanChannel.Console | HumanChannel.Callback);

    private static CompiledGraph<ArticleState> BuildApproval(string name, HumanChannel channel) =>
        new StateGraph<ArticleState>(name, ArticleJsonContext.Default.ArticleState)
            .AddNode("write", s => s with { Draft = $"A short piece about {s.Topic}." })
            .AddHumanNode("approve", new ApprovalStep<ArticleState>
            {
                Prompt = s => $"Publish the piece about {s.Topic}?",
                Assignees = [Assignee.User("alice")],
                Channel = channel,
                Apply = (s, answer) => s with { Approved = answer.Value.Approved, Reason = answer.Value.Reason, DecidedBy = answer.Respondent },
            })
            .AddNode("publish", s => s with { Published = "Published: " + s.Draft })
            .AddNode("shelve", s => s with { Published = null })
            .SetEntryPoint("write")
            .AddEdge("write", "approve")
            .AddConditionalEdges("approve", s => s.Approved == true ? "yes" : "no", new Dictionary<string, string> { ["yes"] = "publish", ["no"] = "shelve" })
            .AddEdge("publish", Graph.End)
            .AddEdge("shelve", Graph.End)
            .Compile();
}
