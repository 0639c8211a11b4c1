using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Orchestration;

/// <summary>How the graph orchestrator bounds its history.</summary>
public sealed class GraphOrchestratorOptions
{
    /// <summary>
    /// How many messages (node results, answers, timers) one orchestration generation applies before it calls
    /// <c>ContinueAsNew</c> with the run's state, at the next moment no activity is outstanding. The default is 100.
    /// </summary>
    [Range(2, 10_000)]
    public int ContinueAsNewAfter { get; set; } = 100;
}
