using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// The input of a run's orchestration after <c>ContinueAsNew</c>: the run machine's state and the latest answer
/// outcomes, carried into the next generation so that history stays bounded while nothing is forgotten. The first
/// generation's input is the graph's input state itself, as a Durable Functions user passes it.
/// </summary>
public sealed record RunContinuation
{
    /// <summary>The property that marks an orchestration input as a continuation rather than a graph's input.</summary>
    public const string Marker = "$humanLoopContinuation";

    /// <summary>The generation: 0 for the first execution, one more after each ContinueAsNew.</summary>
    [JsonPropertyName(Marker)]
    public required int Generation { get; init; }

    /// <summary>The run machine's state.</summary>
    public required RunState State { get; init; }

    /// <summary>The latest answer outcomes.</summary>
    public ImmutableArray<ResponseOutcomeSummary> Outcomes { get; init; } = [];

    /// <summary>Records whose activity kept failing, waiting for their next attempt: the new generation tries them at once.</summary>
    public ImmutableArray<RecordInput> Unrecorded { get; init; } = [];

    /// <summary>Whether an orchestration input is a continuation.</summary>
    public static bool IsContinuation(JsonElement input) =>
        input.ValueKind == JsonValueKind.Object && input.TryGetProperty(Marker, out _);
}
