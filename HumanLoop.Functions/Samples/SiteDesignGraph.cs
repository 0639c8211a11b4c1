using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Samples;

/// <summary>The state of a website design: the chat's brainstorm, the component review and the generated assets.</summary>
public sealed record SiteDesignState
{
    /// <summary>What the site is for.</summary>
    public string Brief { get; init; } = "A one-page site for Harbour Bakery: opening hours, the menu, and how to order ahead";

    /// <summary>The theme the user picked, one of <see cref="SiteDesignGraph.Themes"/>.</summary>
    public string? Theme { get; init; }

    /// <summary>The user's free-form feedback on the previews, oldest first.</summary>
    public IReadOnlyList<string> Feedback { get; init; } = [];

    /// <summary>The latest preview description.</summary>
    public string? Preview { get; init; }

    /// <summary>How many previews the agent has described.</summary>
    public int Previews { get; init; }

    /// <summary>Whether the user accepted the preview.</summary>
    public bool DesignAgreed { get; init; }

    /// <summary>The component review: per component, whether it is approved and the reviewer's comments.</summary>
    public JsonElement? ComponentReview { get; init; }

    /// <summary>Who reviewed the components (a person, or <c>system:timeout</c> when the default was taken).</summary>
    public string? ReviewedBy { get; init; }

    /// <summary>The page assets generated so far, in order (appended by the assets branch).</summary>
    public IReadOnlyList<string> Assets { get; init; } = [];

    /// <summary><c>published</c> once the run ends.</summary>
    public string? Outcome { get; init; }

    /// <summary>What was published, in one paragraph.</summary>
    public string? Summary { get; init; }
}

/// <summary>JSON contract of the site-design state.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SiteDesignState))]
internal sealed partial class SiteDesignJsonContext : JsonSerializerContext;

/// <summary>
/// Pattern 4, hybrid: the website-design planner. In the chat the agent proposes themes and the user picks one, then
/// the agent streams a preview and revises it on free-form feedback ("brighter colors") until the user says it looks
/// good. Then two branches run at once: a component review (a form per component, by email or callback, with
/// reminders and escalation) and the page assets, generated one by one with their progress said in the chat while the
/// review waits. Both join at <c>publish</c>.
/// </summary>
internal static class SiteDesignGraph
{
    public const string Name = "site-design";

    /// <summary>The themes the agent proposes; the user picks one of them by name.</summary>
    public static readonly IReadOnlyList<string> Themes = ["harbour", "meadow", "sunrise"];

    /// <summary>The page assets the assets branch generates, in order.</summary>
    public static readonly IReadOnlyList<string> AssetNames = ["colour palette", "typography scale", "hero image", "navigation bar markup", "footer markup"];

    /// <summary>The most previews described before the design goes to review as it is.</summary>
    public const int MaxPreviews = 5;

    /// <summary>Who reviews the components first.</summary>
    public static readonly string Designers = Assignee.Role("designer");

    /// <summary>Who the component review escalates to.</summary>
    public static readonly string ArtDirector = Assignee.User("art-director");

    /// <summary>The component review's JSON Schema: one object per component, approved or not, with comments.</summary>
    public const string ReviewSchema = """
        {
          "type": "object",
          "required": ["navigationBar", "footer"],
          "additionalProperties": false,
          "properties": {
            "navigationBar": { "$ref": "#/definitions/component" },
            "footer": { "$ref": "#/definitions/component" }
          },
          "definitions": {
            "component": {
              "type": "object",
              "required": ["approved"],
              "additionalProperties": false,
              "properties": {
                "approved": { "type": "boolean" },
                "comments": { "type": "string", "maxLength": 2000 }
              }
            }
          }
        }
        """;

    /// <summary>The review's timers: reminders after 4 h and 20 h, escalation after a day, and after 2 days the default.</summary>
    public static readonly TimeoutPolicy ReviewTimeout = new()
    {
        Reminders = [TimeSpan.FromHours(4), TimeSpan.FromHours(20)],
        Escalations = [new Escalation(TimeSpan.FromDays(1), [ArtDirector])],
        After = TimeSpan.FromDays(2),
        OnTimeout = TimeoutAction.TakeDefault,
    };

    /// <summary>The review taken when nobody reviews in time: every component approved, noted as unreviewed.</summary>
    public static readonly JsonElement DefaultReview = JsonDocument.Parse("""
        {
          "navigationBar": { "approved": true, "comments": "not reviewed in time" },
          "footer": { "approved": true, "comments": "not reviewed in time" }
        }
        """).RootElement.Clone();

    private static readonly string[] Agreement = ["looks good", "looks great", "good", "great", "perfect", "done", "ship it", "approve", "approved", "yes", "ok", "okay", "lgtm"];

    public static CompiledGraph<SiteDesignState> Build() =>
        new StateGraph<SiteDesignState>(Name, SiteDesignJsonContext.Default.SiteDesignState)
            .AddNode("propose", ProposeAsync, new RetryPolicy { MaxAttempts = 3 })
            .AddHumanNode("pick_theme", new ChoiceStep<SiteDesignState>
            {
                Prompt = _ => $"Which theme should the site use? {string.Join(", ", Themes)}.",
                Options = Themes,
                Interpret = InterpretTheme,
                Channel = HumanChannel.Chat | HumanChannel.Console | HumanChannel.Callback,
                MaxAttempts = 5,
                Apply = (s, a) => s with { Theme = a.Value },
            })
            .AddNode("preview", PreviewAsync, new RetryPolicy { MaxAttempts = 3 })
            .AddHumanNode("feedback", new TextStep<SiteDesignState>
            {
                Prompt = s => $"What should change in preview {s.Previews} (for example 'brighter colors')? Say 'looks good' when it is right.",
                MaxLength = 500,
                Channel = HumanChannel.Chat | HumanChannel.Console | HumanChannel.Callback,
                Apply = (s, a) => IsAgreement(a.Value)
                    ? s with { DesignAgreed = true }
                    : s with { Feedback = [.. s.Feedback, a.Value.Trim()] },
            })
            .AddNode("handoff", HandoffAsync)
            .AddHumanNode("component_review", new FormStep<SiteDesignState>
            {
                Prompt = s => $"Review the components of the '{s.Theme}' design for: {s.Brief}. For the navigation bar and the footer, approve or not, with comments.",
                Schema = ReviewSchema,
                Assignees = [Designers],
                Channel = HumanChannel.Email | HumanChannel.Callback | HumanChannel.Console,
                Timeout = ReviewTimeout,
                Default = DefaultReview,
                Apply = (s, a) => s with { ComponentReview = a.Value, ReviewedBy = a.Respondent },
            })
            .AddNode("assets", GenerateAssetAsync, new RetryPolicy { MaxAttempts = 3 })
            .AddNode("publish", PublishAsync)
            .WithMerge(s => s.Assets, MergeRule.Append)
            .SetEntryPoint("propose")
            .AddEdge("propose", "pick_theme")
            .AddEdge("pick_theme", "preview")
            .AddEdge("preview", "feedback")
            .AddConditionalEdges("feedback", s => s.DesignAgreed || s.Previews >= MaxPreviews ? "handoff" : "preview", new Dictionary<string, string> { ["handoff"] = "handoff", ["preview"] = "preview" })
            .AddFanOut("handoff", ["component_review", "assets"], "publish")
            .AddEdge("component_review", "publish")
            .AddConditionalEdges("assets", s => s.Assets.Count < AssetNames.Count ? "assets" : "publish", new Dictionary<string, string> { ["assets"] = "assets", ["publish"] = "publish" })
            .AddEdge("publish", Graph.End)
            .Compile();

    /// <summary>Renders a final state for the console.</summary>
    public static string Describe(SiteDesignState state) =>
        $"{state.Summary}{Environment.NewLine}{Environment.NewLine}{state.Preview}";

    /// <summary>Whether a reply accepts the preview ("looks good", "LGTM!", "ship it").</summary>
    public static bool IsAgreement(string reply)
    {
        var text = new string([.. reply.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c == ' ')]).Trim();
        return Agreement.Contains(text, StringComparer.Ordinal);
    }

    /// <summary>Maps a free-form reply onto a theme when it names exactly one ("the meadow one, please").</summary>
    public static string? InterpretTheme(string reply)
    {
        var named = Themes.Where(t => reply.Contains(t, StringComparison.OrdinalIgnoreCase)).ToList();
        if (named.Count == 1)
        {
            return named[0];
        }

        // "the first one", "second", "3"
        string[][] ordinals = [["first", "1"], ["second", "2"], ["third", "3"]];
        var words = reply.ToLowerInvariant().Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries);
        var picked = ordinals.Select((aliases, i) => (aliases, i)).Where(o => o.aliases.Any(words.Contains)).Select(o => Themes[o.i]).ToList();
        return picked.Count == 1 ? picked[0] : null;
    }

    /// <summary>What the review says about one component: "approved" or "changes requested: …".</summary>
    public static string ReviewOf(SiteDesignState state, string component)
    {
        if (state.ComponentReview is not { ValueKind: JsonValueKind.Object } review || !review.TryGetProperty(component, out var entry))
        {
            return "not reviewed";
        }

        var approved = entry.TryGetProperty("approved", out var a) && a.ValueKind == JsonValueKind.True;
        var comments = entry.TryGetProperty("comments", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var verdict = approved ? "approved" : "changes requested";
        return string.IsNullOrWhiteSpace(comments) ? verdict : $"{verdict} ({comments})";
    }

    private static async Task<SiteDesignState> ProposeAsync(SiteDesignState state, NodeContext context)
    {
        var chat = SiteDesignChat.Resolve(context.Services);
        await ChatStreaming.StreamAsync(chat, SiteDesignChat.ProposeThemes(state.Brief, Themes), context).ConfigureAwait(false);
        return state;
    }

    private static async Task<SiteDesignState> PreviewAsync(SiteDesignState state, NodeContext context)
    {
        var chat = SiteDesignChat.Resolve(context.Services);
        var number = state.Previews + 1;
        var text = await ChatStreaming.StreamAsync(chat, SiteDesignChat.DescribePreview(state.Brief, state.Theme!, number, state.Feedback), context).ConfigureAwait(false);
        return state with { Preview = text, Previews = number };
    }

    private static async Task<SiteDesignState> HandoffAsync(SiteDesignState state, NodeContext context)
    {
        await context.Output.SayAsync(
            $"The '{state.Theme}' design goes to the designers for a component review. Meanwhile I generate the page assets ({AssetNames.Count}) and report each one here.",
            context.CancellationToken).ConfigureAwait(false);
        return state;
    }

    private static async Task<SiteDesignState> GenerateAssetAsync(SiteDesignState state, NodeContext context)
    {
        var index = state.Assets.Count;
        var name = AssetNames[index];
        var chat = SiteDesignChat.Resolve(context.Services);
        var text = await SiteDesignChat.CompleteAsync(chat, SiteDesignChat.DescribeAsset(state.Theme!, name), context.CancellationToken).ConfigureAwait(false);
        await context.Output.SayAsync($"Assets {index + 1}/{AssetNames.Count}: {name} ready. {text}", context.CancellationToken).ConfigureAwait(false);
        return state with { Assets = [.. state.Assets, name] };
    }

    private static async Task<SiteDesignState> PublishAsync(SiteDesignState state, NodeContext context)
    {
        var summary =
            $"Published the '{state.Theme}' design after {state.Previews} preview(s) with {state.Assets.Count} assets. " +
            $"Navigation bar: {ReviewOf(state, "navigationBar")}; footer: {ReviewOf(state, "footer")}; reviewed by {state.ReviewedBy}.";
        await context.Output.SayAsync(summary, context.CancellationToken).ConfigureAwait(false);
        return state with { Outcome = "published", Summary = summary };
    }
}
