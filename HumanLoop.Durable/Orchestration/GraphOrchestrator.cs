using System.Text.Json;
using HumanLoop.Graphs;
using Microsoft.DurableTask;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// The one orchestrator HumanLoop registers, under each graph's name: it drives the pure run machine of
/// HumanLoop.Core on the Durable Task engine. A node is an activity, a human request is an external event raced
/// against durable timers, and a long run continues as new with its state.
/// </summary>
/// <remarks>
/// The input of the first generation is the graph's input state; a continued generation's is a
/// <see cref="RunContinuation"/>. The output is the run's final state; a failed run fails the orchestration with
/// the run machine's reason. The machine is pure and time is <c>context.CurrentUtcDateTime</c>, so replay is
/// deterministic as long as the graph's routers, prompts and validators are pure too.
/// </remarks>
public sealed class GraphOrchestrator : TaskOrchestrator<JsonElement?, JsonElement?>
{
    private readonly CompiledGraph _graph;
    private readonly GraphOrchestratorOptions _options;

    /// <summary>Creates the orchestrator of one graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="options">History bounds. The default is <see cref="GraphOrchestratorOptions"/>'s defaults.</param>
    public GraphOrchestrator(CompiledGraph graph, GraphOrchestratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _options = options ?? new GraphOrchestratorOptions();
    }

    /// <summary>The graph this orchestrator runs.</summary>
    public CompiledGraph Graph => _graph;

    /// <inheritdoc/>
    public override Task<JsonElement?> RunAsync(TaskOrchestrationContext context, JsonElement? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new OrchestratedRun(context, _graph, _options).RunAsync(input);
    }
}
