using System.Text.Json;
using HumanLoop.Durable.Activities;
using HumanLoop.Durable.Orchestration;
using Microsoft.Azure.Functions.Worker;

namespace HumanLoop.Functions.Functions;

/// <summary>HumanLoop's two activities, named as the graph orchestrator calls them, delegating to <see cref="GraphActivities"/>.</summary>
internal sealed class GraphActivityFunctions(GraphActivities activities)
{
    /// <summary>Executes one attempt of a node.</summary>
    /// <param name="input">A node activity input as JSON.</param>
    /// <param name="cancellationToken">Stops the node (the worker is shutting down).</param>
    [Function(HumanLoopTaskNames.RunNode)]
    public Task<JsonElement> RunNodeAsync([ActivityTrigger] JsonElement input, CancellationToken cancellationToken) =>
        activities.RunNodeAsync(input, cancellationToken);

    /// <summary>Stores a transition's events and opens and closes its human tasks.</summary>
    /// <param name="input">A record input as JSON.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    [Function(HumanLoopTaskNames.Record)]
    public Task RecordAsync([ActivityTrigger] JsonElement input, CancellationToken cancellationToken) =>
        activities.RecordAsync(input, cancellationToken);
}
