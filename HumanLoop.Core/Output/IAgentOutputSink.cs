namespace HumanLoop.Output;

/// <summary>
/// Where a runtime puts what its nodes say (see <see cref="AgentOutput"/>): the durable runtime stores it in order in
/// the run's live log, so every connected client on every host sees it. Implementations may buffer; the runtime flushes
/// when the node ends.
/// </summary>
public interface IAgentOutputSink
{
    /// <summary>Takes one piece of output, in the order the node said it.</summary>
    /// <param name="item">The output.</param>
    /// <param name="cancellationToken">Stops waiting for room (the node is being stopped).</param>
    ValueTask WriteAsync(AgentOutputItem item, CancellationToken cancellationToken = default);
}
