using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Graphs;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Checks a start request's input against the graph's state contract before a run is created, so input of the wrong
/// shape gets a 400 instead of a run that fails in its first node; and supplies a graph's default input when the
/// request has no body.
/// </summary>
internal sealed class GraphInputs(IReadOnlyDictionary<string, JsonElement> defaults)
{
    /// <summary>Returns the default input registered for <paramref name="graph"/>, if any.</summary>
    public bool TryGetDefault(string graph, out JsonElement input) => defaults.TryGetValue(graph, out input);

    /// <summary>Returns why <paramref name="input"/> cannot be the initial state of <paramref name="graph"/>, or null when it can.</summary>
    public static string? GetProblem(CompiledGraph graph, JsonElement input)
    {
        // CompiledGraph<TState>.StateType is the state's contract; the non-generic base does not expose it.
        if (graph.GetType().GetProperty(nameof(CompiledGraph<object>.StateType))?.GetValue(graph) is not JsonTypeInfo stateType)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(input, stateType) is null
                ? $"Graph '{graph.Name}' needs an initial state as a JSON object; the input is null."
                : null;
        }
        catch (JsonException ex)
        {
            return $"The input is not a valid initial state for graph '{graph.Name}': {ex.Message}";
        }
    }
}
