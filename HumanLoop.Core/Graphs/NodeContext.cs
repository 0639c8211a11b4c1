namespace HumanLoop.Graphs;

/// <summary>What a running node knows about where it runs.</summary>
public sealed class NodeContext
{
    /// <summary>Creates a context for one attempt of one node.</summary>
    public NodeContext(string runId, string node, int attempt, IServiceProvider? services, CancellationToken cancellationToken)
    {
        RunId = runId;
        Node = node;
        Attempt = attempt;
        Services = services;
        CancellationToken = cancellationToken;
    }

    /// <summary>The run this node belongs to.</summary>
    public string RunId { get; }

    /// <summary>The name of the node being executed.</summary>
    public string Node { get; }

    /// <summary>The attempt number, starting at 1; above 1 when a retry policy re-runs the node.</summary>
    public int Attempt { get; }

    /// <summary>The host's services, when the runtime has any (for example an <c>IChatClient</c>).</summary>
    public IServiceProvider? Services { get; }

    /// <summary>Cancelled when the host stops or the run is terminated; a node should stop promptly.</summary>
    public CancellationToken CancellationToken { get; }
}
