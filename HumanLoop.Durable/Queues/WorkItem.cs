using System.Text.Json;

namespace HumanLoop.Durable.Queues;

/// <summary>A work-item message: execute one node of one run and report back with <paramref name="TaskId"/>.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Graph">The run's graph.</param>
/// <param name="TaskId">The run-node effect's id; the machine applies the result only while that task is outstanding.</param>
/// <param name="Node">The node.</param>
/// <param name="Attempt">The attempt, from 1.</param>
/// <param name="State">The input state, when inline.</param>
/// <param name="StateRef">A blob reference to the input state, when too large for the queue.</param>
internal sealed record WorkItem(string RunId, string Graph, string TaskId, string Node, int Attempt, JsonElement? State = null, string? StateRef = null);
