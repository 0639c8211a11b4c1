namespace HumanLoop.Output;

/// <summary>
/// What a running node says to the people watching its run: whole messages (<see cref="SayAsync"/>) and streamed ones
/// (<see cref="BeginMessage"/>, then <see cref="AgentMessage.AppendAsync"/> per token and
/// <see cref="AgentMessage.CompleteAsync"/>). Output is not part of the graph's state and does not affect routing; a
/// node re-run after a crash says its messages again under the same ids, so readers replace rather than repeat them.
/// </summary>
public sealed class AgentOutput
{
    private readonly IAgentOutputSink? _sink;
    private readonly string _prefix;
    private readonly string _node;
    private int _messages;

    /// <summary>Creates the output of one node attempt.</summary>
    /// <param name="sink">Where the output goes; <see langword="null"/> discards it.</param>
    /// <param name="node">The node.</param>
    /// <param name="messageIdPrefix">Makes message ids unique within the run: the node's task id in the durable runtime.</param>
    public AgentOutput(IAgentOutputSink? sink, string node, string messageIdPrefix)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(messageIdPrefix);
        _sink = sink;
        _node = node;
        _prefix = messageIdPrefix;
    }

    /// <summary>Whether output goes anywhere; a node may skip building text nobody reads.</summary>
    public bool IsConnected => _sink is not null;

    /// <summary>Says a whole message at once.</summary>
    /// <param name="text">The message.</param>
    /// <param name="cancellationToken">Stops waiting for the sink.</param>
    /// <returns>The message's id.</returns>
    public async ValueTask<string> SayAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var id = NextId();
        await WriteAsync(AgentOutputKind.Message, id, text, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Starts a message that is streamed in pieces.</summary>
    /// <returns>The message, to append to and complete.</returns>
    public AgentMessage BeginMessage() => new(this, NextId());

    internal ValueTask WriteAsync(AgentOutputKind kind, string messageId, string text, CancellationToken cancellationToken) =>
        _sink is null
            ? ValueTask.CompletedTask
            : _sink.WriteAsync(new AgentOutputItem { Kind = kind, MessageId = messageId, Text = text, Node = _node }, cancellationToken);

    private string NextId() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_prefix}.{Interlocked.Increment(ref _messages)}");
}
