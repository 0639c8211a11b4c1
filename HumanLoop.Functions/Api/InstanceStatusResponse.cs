using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanLoop.Functions.Api;

/// <summary>A run's status in the shape of Durable Functions' <c>GET .../instances/{id}</c> response.</summary>
/// <param name="Name">The graph (orchestrator) name.</param>
/// <param name="InstanceId">The run id.</param>
/// <param name="RuntimeStatus">Pending, Running, Completed, Failed or Terminated.</param>
/// <param name="Input">The input, or null when not asked for.</param>
/// <param name="CustomStatus">The open human requests (<c>{"openRequests": [...]}</c>), or null when none is open.</param>
/// <param name="Output">The final state when completed; the reason when failed or terminated; otherwise null.</param>
/// <param name="CreatedTime">When the run was created (UTC).</param>
/// <param name="LastUpdatedTime">When the run last changed (UTC).</param>
/// <param name="HistoryEvents">The run's events, only when <c>showHistory=true</c>.</param>
internal sealed record InstanceStatusResponse(
    string Name,
    string InstanceId,
    string RuntimeStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Input,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CustomStatusResponse? CustomStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Output,
    DateTime CreatedTime,
    DateTime LastUpdatedTime,
    IReadOnlyList<HistoryEventResponse>? HistoryEvents);
