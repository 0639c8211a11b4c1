using System.Text.Json.Serialization;
using HumanLoop.Graphs;
using HumanLoop.Human;

namespace HumanLoop.Functions.Samples;

/// <summary>The state of the travel planner: where to, how, and the plan.</summary>
/// <param name="Destination">Where the traveller goes.</param>
/// <param name="DistanceKm">The distance, estimated by the research node.</param>
/// <param name="Mode">'fly' or 'drive', chosen by the traveller.</param>
/// <param name="ChosenBy">Who chose the mode (a person, or <c>system:default</c>).</param>
/// <param name="Plan">The finished plan.</param>
public sealed record TravelState(
    string Destination = "Lisbon",
    int DistanceKm = 0,
    string? Mode = null,
    string? ChosenBy = null,
    string? Plan = null);

/// <summary>JSON contract of the travel state.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TravelState))]
internal sealed partial class TravelJsonContext : JsonSerializerContext;

/// <summary>
/// Pattern 1, prompt-and-wait: a travel planner that asks 'fly or drive?', re-asks on an invalid reply naming the
/// allowed choices, takes the declared default after 3 invalid replies (or a day without an answer), and prints the plan.
/// </summary>
internal static class TravelGraph
{
    public const string Name = "travel";

    /// <summary>The mode taken when no valid answer comes.</summary>
    public const string DefaultMode = "drive";

    public static CompiledGraph<TravelState> Build() =>
        new StateGraph<TravelState>(Name, TravelJsonContext.Default.TravelState)
            .AddNode("research", s => s with { DistanceKm = EstimateDistance(s.Destination) })
            .AddHumanNode("choose_mode", new ChoiceStep<TravelState>
            {
                Prompt = s => $"Going to {s.Destination} ({s.DistanceKm} km): fly or drive?",
                Options = ["fly", "drive"],
                Assignees = [Assignee.Role("traveller")],
                Channel = HumanChannel.Any,
                MaxAttempts = 3,
                OnAttemptsExhausted = AttemptsExhaustedAction.TakeDefault,
                Default = DefaultMode,
                Timeout = new TimeoutPolicy
                {
                    Reminders = [TimeSpan.FromHours(1)],
                    After = TimeSpan.FromDays(1),
                    OnTimeout = TimeoutAction.TakeDefault,
                },
                Apply = (s, answer) => s with { Mode = answer.Value, ChosenBy = answer.Respondent },
            })
            .AddNode("book_flight", s => s with { Plan = $"Fly to {s.Destination}: a {FlightHours(s.DistanceKm):0.0} h flight, booked for the morning." })
            .AddNode("plan_drive", s => s with { Plan = $"Drive to {s.Destination}: {s.DistanceKm} km, about {s.DistanceKm / 80.0:0.0} h at 80 km/h, with a stop every 2 h." })
            .SetEntryPoint("research")
            .AddEdge("research", "choose_mode")
            .AddConditionalEdges("choose_mode", s => s.Mode!, new Dictionary<string, string> { ["fly"] = "book_flight", ["drive"] = "plan_drive" })
            .AddEdge("book_flight", Graph.End)
            .AddEdge("plan_drive", Graph.End)
            .Compile();

    /// <summary>Renders the final state for the console.</summary>
    public static string Describe(TravelState state) =>
        $"Plan: {state.Plan}{Environment.NewLine}(mode '{state.Mode}' chosen by {state.ChosenBy})";

    // Deterministic stand-in for a route lookup: the sample runs offline.
    private static int EstimateDistance(string destination) =>
        300 + (destination.Aggregate(17, (h, c) => unchecked((h * 31) + c)) & 0x7fffffff) % 1700;

    private static double FlightHours(int km) => 0.75 + (km / 800.0);
}
