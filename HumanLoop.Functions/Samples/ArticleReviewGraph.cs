using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using Microsoft.Extensions.AI;

namespace HumanLoop.Functions.Samples;

/// <summary>The state of an article in review.</summary>
/// <param name="Topic">What the article is about.</param>
/// <param name="Draft">The current draft.</param>
/// <param name="Round">How many drafts have been written (1 after the first).</param>
/// <param name="Feedback">The editor's reason for rejecting the last draft, which the next draft addresses.</param>
/// <param name="Decision"><c>approved</c>, <c>edited</c> or <c>rejected</c>; unset while nobody has reviewed the draft.</param>
/// <param name="ReviewedBy">Who decided.</param>
/// <param name="Outcome"><c>published</c> or <c>shelved</c>, once the run ends.</param>
/// <param name="Note">Why it ended as it did.</param>
/// <param name="Published">The published text.</param>
public sealed record ArticleState(
    string Topic = "Durable timers for human reviews",
    string? Draft = null,
    int Round = 0,
    string? Feedback = null,
    string? Decision = null,
    string? ReviewedBy = null,
    string? Outcome = null,
    string? Note = null,
    string? Published = null);

/// <summary>JSON contract of the article state.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ArticleState))]
internal sealed partial class ArticleJsonContext : JsonSerializerContext;

/// <summary>
/// Pattern 3, external callback: an agent drafts an article through <see cref="IChatClient"/>; an editor reviews it
/// (approve as is, edit then approve, or reject with a reason) by email, the task queue or the API; reminders after
/// 4 h and 20 h, escalation to the chief editor after a day, and after 3 days the 'timed out' edge shelves it. A
/// rejected draft is revised with the reason, at most <see cref="MaxRounds"/> drafts in all, then shelved.
/// </summary>
internal static class ArticleReviewGraph
{
    public const string Name = "article-review";

    /// <summary>The most drafts written before a rejected article is shelved.</summary>
    public const int MaxRounds = 3;

    /// <summary>Who reviews first.</summary>
    public static readonly string Editors = Assignee.Role("editor");

    /// <summary>Who the review escalates to.</summary>
    public static readonly string Chief = Assignee.User("chief");

    /// <summary>The review's timers.</summary>
    public static readonly TimeoutPolicy ReviewTimeout = new()
    {
        Reminders = [TimeSpan.FromHours(4), TimeSpan.FromHours(20)],
        Escalations = [new Escalation(TimeSpan.FromDays(1), [Chief])],
        After = TimeSpan.FromDays(3),
        OnTimeout = TimeoutAction.Route,
        TimedOutEdge = "shelve",
    };

    public static CompiledGraph<ArticleState> Build() => Build(Name, ReviewTimeout);

    /// <summary>The same graph under another name and with other timers (tests run it with timers seconds long).</summary>
    /// <param name="name">The graph's name.</param>
    /// <param name="timeout">The review's timers; its <see cref="TimeoutPolicy.TimedOutEdge"/> must be <c>shelve</c>.</param>
    internal static CompiledGraph<ArticleState> Build(string name, TimeoutPolicy timeout) =>
        new StateGraph<ArticleState>(name, ArticleJsonContext.Default.ArticleState)
            .AddNode("draft", DraftAsync, new RetryPolicy { MaxAttempts = 3 })
            .AddHumanNode("review", new EditStep<ArticleState>
            {
                Prompt = s => $"Review the article on '{s.Topic}' (draft {s.Round} of at most {MaxRounds}): approve it, edit it, or reject it with a reason.",
                Value = s => s.Draft ?? string.Empty,
                AllowReject = true,
                Assignees = [Editors],
                Channel = HumanChannel.Email | HumanChannel.Callback | HumanChannel.Console,
                Timeout = timeout,
                Apply = (s, answer) => answer.Value switch
                {
                    { Rejected: true } => s with { Decision = "rejected", Feedback = answer.Value.Reason, ReviewedBy = answer.Respondent },
                    { Changed: true } => s with { Decision = "edited", Draft = answer.Value.Value, ReviewedBy = answer.Respondent },
                    _ => s with { Decision = "approved", ReviewedBy = answer.Respondent },
                },
            })
            .AddNode("revise", s => s with { Decision = null, ReviewedBy = null })
            .AddNode("publish", s => s with
            {
                Outcome = "published",
                Published = s.Draft,
                Note = $"Published after {s.Round} draft(s), {(s.Decision == "edited" ? "edited and approved" : "approved")} by {s.ReviewedBy}.",
            })
            .AddNode("shelve", s => s with
            {
                Outcome = "shelved",
                Note = s.Decision == "rejected"
                    ? $"Shelved: {s.Round} drafts were rejected (the last because: {s.Feedback})."
                    : $"Shelved: nobody reviewed draft {s.Round} within {Span(timeout.After!.Value)}.",
            })
            .SetEntryPoint("draft")
            .AddEdge("draft", "review")
            .AddConditionalEdges("review", Route, new Dictionary<string, string> { ["publish"] = "publish", ["revise"] = "revise", ["shelve"] = "shelve" })
            .AddEdge("revise", "draft")
            .AddEdge("publish", Graph.End)
            .AddEdge("shelve", Graph.End)
            .Compile();

    /// <summary>Renders a final state for the console.</summary>
    public static string Describe(ArticleState state) =>
        $"{state.Note}{Environment.NewLine}{Environment.NewLine}{state.Published ?? state.Draft}";

    private static string Span(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays)
        ? $"{span.TotalDays:0} days"
        : $"{span.TotalSeconds:0} seconds";

    /// <summary>Where a review leads: publish an approved draft, revise a rejected one while rounds remain, else shelve.</summary>
    public static string Route(ArticleState state) => state.Decision switch
    {
        "approved" or "edited" => "publish",
        "rejected" when state.Round < MaxRounds => "revise",
        _ => "shelve",
    };

    private static async Task<ArticleState> DraftAsync(ArticleState state, NodeContext context)
    {
        var chat = ArticleChat.Resolve(context.Services);
        var round = state.Round + 1;
        var messages = ArticleChat.Prompt(state.Topic, round, state.Feedback, state.Draft);
        var response = await chat.GetResponseAsync(messages, cancellationToken: context.CancellationToken).ConfigureAwait(false);
        var text = response.Text.Trim();
        if (text.Length == 0)
        {
            throw new InvalidOperationException("The chat client returned an empty draft.");
        }

        return state with { Draft = text, Round = round };
    }
}
