using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Serialization;

namespace HumanLoop.Core.Tests.Runs;

/// <summary>
/// The state of the property-test graphs. Every action node and every accepted answer appends one item to
/// <see cref="Items"/>, so the final state shows exactly what was applied, and how often.
/// </summary>
internal sealed record PropertyTripState
{
    public IReadOnlyList<string> Items { get; init; } = [];

    public string? Mode { get; init; }

    public string? Seat { get; init; }

    public bool? Approved { get; init; }

    public PropertyTripState With(string item) => this with { Items = [.. Items, item] };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PropertyTripState))]
internal sealed partial class PropertyTripJsonContext : JsonSerializerContext;

/// <summary>
/// Two variants of one graph with every feature the run machine has:
/// <c>prepare</c> (action, retried after a 30 s timer) → <c>route</c> (choice, 2 attempts, then the default)
/// → fan-out [<c>hotel</c> (action, retried at once), <c>seat</c> (choice, 2 attempts, then the run fails)]
/// → join <c>merge</c> (Items merged by Append) → <c>approve</c> (approval with 2 reminders, a 2-link escalation
/// chain and an 8 h deadline) → <c>publish</c> or END. On its deadline <c>approve</c> takes its default answer
/// (<see cref="DefaultOnTimeout"/>) or follows its timed-out edge to <c>fallback</c> (<see cref="RouteOnTimeout"/>).
/// </summary>
internal static class PropertyGraphs
{
    public const string RunId = "trip-7";

    public static readonly string[] HumanNodes = ["route", "seat", "approve"];

    public static readonly string[] RetriedNodes = ["prepare", "hotel"];

    /// <summary>What each action node does; the tests' host executes nodes with these, as a real host would.</summary>
    public static readonly IReadOnlyDictionary<string, Func<PropertyTripState, PropertyTripState>> Actions =
        new Dictionary<string, Func<PropertyTripState, PropertyTripState>>(StringComparer.Ordinal)
        {
            ["prepare"] = s => s.With("prepare"),
            ["hotel"] = s => s.With("hotel"),
            ["merge"] = s => s.With("merge"),
            ["publish"] = s => s.With("publish"),
            ["fallback"] = s => s.With("fallback"),
        };

    /// <summary>An odd start time (offset +02:00, sub-second ticks) so timestamps must round-trip exactly.</summary>
    public static DateTimeOffset StartTime { get; } = new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

    public static CompiledGraph<PropertyTripState> DefaultOnTimeout { get; } = Build(TimeoutAction.TakeDefault);

    public static CompiledGraph<PropertyTripState> RouteOnTimeout { get; } = Build(TimeoutAction.Route);

    public static JsonElement Input { get; } = DefaultOnTimeout.ToJson(new PropertyTripState { Items = ["input"] });

    /// <summary>Executes an action node on a JSON state, optionally leaving a marker item (for stale or forged results).</summary>
    public static JsonElement Execute(CompiledGraph<PropertyTripState> graph, string node, JsonElement state, string? marker = null)
    {
        var next = Actions[node](graph.FromJson(state));
        return graph.ToJson(marker is null ? next : next.With(marker));
    }

    /// <summary>A valid raw answer for a human node (several spellings, to exercise normalisation).</summary>
    public static JsonElement ValidAnswer(string node, int variant) => Json(node switch
    {
        "route" => (variant % 3) switch { 0 => "\"fly\"", 1 => "\" Drive \"", _ => "\"TRAIN\"" },
        "seat" => variant % 2 == 0 ? "\"aisle\"" : "\"Window\"",
        _ => (variant % 3) switch { 0 => "\"approve\"", 1 => "{\"approved\":true}", _ => "\"reject: too expensive\"" },
    });

    /// <summary>A raw answer the human node's validation refuses.</summary>
    public static JsonElement InvalidAnswer(string node, int variant) => Json(node switch
    {
        "route" => variant % 2 == 0 ? "\"walk\"" : "42",
        "seat" => variant % 2 == 0 ? "\"middle\"" : "{}",
        _ => variant % 2 == 0 ? "\"maybe\"" : "\"reject\"",
    });

    /// <summary>The item an accepted (normalised) answer adds to <see cref="PropertyTripState.Items"/>.</summary>
    public static string ItemFor(string node, JsonElement normalized) => node == "approve"
        ? "approve=" + (normalized.GetProperty("approved").GetBoolean() ? "yes" : "no")
        : node + "=" + normalized.GetString();

    public static JsonElement Json(string text) => JsonSerializer.Deserialize(text, HumanLoopJsonContext.Default.JsonElement);

    private static CompiledGraph<PropertyTripState> Build(TimeoutAction onTimeout)
    {
        bool route = onTimeout == TimeoutAction.Route;
        var graph = new StateGraph<PropertyTripState>(route ? "props-route" : "props-default", PropertyTripJsonContext.Default.PropertyTripState)
            .AddNode("prepare", Actions["prepare"], new RetryPolicy { MaxAttempts = 3, FirstRetryInterval = TimeSpan.FromSeconds(30) })
            .AddHumanNode("route", new ChoiceStep<PropertyTripState>
            {
                Prompt = _ => "Fly, drive or take the train?",
                Options = ["fly", "drive", "train"],
                Assignees = [Assignee.User("ann")],
                MaxAttempts = 2,
                OnAttemptsExhausted = AttemptsExhaustedAction.TakeDefault,
                Default = "drive",
                Apply = (s, a) => s.With("route=" + a.Value) with { Mode = a.Value },
            })
            .AddNode("hotel", Actions["hotel"], new RetryPolicy { MaxAttempts = 3, FirstRetryInterval = TimeSpan.Zero })
            .AddHumanNode("seat", new ChoiceStep<PropertyTripState>
            {
                Prompt = s => $"Aisle or window for the {s.Mode} leg?",
                Options = ["aisle", "window"],
                Assignees = [Assignee.Role("travellers")],
                MaxAttempts = 2,
                Apply = (s, a) => s.With("seat=" + a.Value) with { Seat = a.Value },
            })
            .AddNode("merge", Actions["merge"])
            .AddHumanNode("approve", new ApprovalStep<PropertyTripState>
            {
                Prompt = s => $"Book {string.Join(", ", s.Items)}?",
                Assignees = [Assignee.User("bob")],
                MaxAttempts = 2,
                OnAttemptsExhausted = route ? AttemptsExhaustedAction.FailRun : AttemptsExhaustedAction.Escalate,
                Default = new ApprovalDecision(true, "approved by default"),
                Timeout = new TimeoutPolicy
                {
                    Reminders = [TimeSpan.FromHours(1), TimeSpan.FromHours(2)],
                    Escalations =
                    [
                        new Escalation(TimeSpan.FromHours(3), [Assignee.Role("lead")]),
                        new Escalation(TimeSpan.FromHours(3), [Assignee.Role("director")]),
                    ],
                    After = TimeSpan.FromHours(8),
                    OnTimeout = onTimeout,
                    TimedOutEdge = route ? "fallback" : null,
                },
                Apply = (s, a) => s.With("approve=" + (a.Value.Approved ? "yes" : "no")) with { Approved = a.Value.Approved },
            })
            .AddNode("publish", Actions["publish"])
            .SetEntryPoint("prepare")
            .AddEdge("prepare", "route")
            .AddFanOut("route", ["hotel", "seat"], "merge")
            .AddEdge("hotel", "merge")
            .AddEdge("seat", "merge")
            .AddEdge("merge", "approve")
            .AddConditionalEdges("approve", s => s.Approved == true ? "publish" : Graph.End)
            .AddEdge("publish", Graph.End)
            .WithMerge(s => s.Items, MergeRule.Append);
        if (route)
        {
            graph.AddNode("fallback", Actions["fallback"]).AddEdge("fallback", Graph.End);
        }

        return graph.Compile();
    }
}
