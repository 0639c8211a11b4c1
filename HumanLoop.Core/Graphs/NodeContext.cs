using HumanLoop.Output;

namespace HumanLoop.Graphs;

/// <summary>What a running node knows about where it runs.</summary>
public sealed class NodeContext
{
    /// <summary>Creates a context for one attempt of one node.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="node">The node.</param>
    /// <param name="attempt">The attempt, from 1.</param>
    /// <param name="services">The host's services, if any.</param>
    /// <param name="cancellationToken">Stops the node.</param>
    /// <param name="output">Where the node's output goes. The default discards it.</param>
    public NodeContext(string runId, string node, int attempt, IServiceProvider? services, CancellationToken cancellationToken, AgentOutput? output = null)
    {
        RunId = runId;
        Node = node;
        Attempt = attempt;
        Services = services;
        CancellationToken = cancellationToken;
        Output = output ?? new AgentOutput(null, node, node);
    }

    /// <summary>The run this node belongs to.</summary>
    public string RunId { get; }

    /// <summary>The name of the node being executed.</summary>
    public string Node { get; }

    /// <summary>The attempt number, starting at 1; above 1 when a retry policy re-runs the node.</summary>
    public int Attempt { get; }

    /// <summary>The host's services, when the runtime has any (for example an <c>IChatClient</c>).</summary>
    public IServiceProvider? Services { get; }

    /// <summary>
    /// What the node says while it runs (whole messages and streamed tokens), for the people watching the run live. The
    /// durable runtime stores it in order with the run's events; the in-process runtime discards it unless given a sink.
    /// </summary>
    public AgentOutput Output { get; }

    /// <summary>Cancelled when the host stops or the run is terminated; a node should stop promptly.</summary>
    public CancellationToken CancellationToken { get; }
}
