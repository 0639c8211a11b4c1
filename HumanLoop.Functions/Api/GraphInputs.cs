using System.Text.Json;
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
    public static string? GetProblem(CompiledGraph graph, JsonElement input) => graph.ValidateInput(input);
}
