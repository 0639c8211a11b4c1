namespace HumanLoop.Output;

/// <summary>
/// One piece of what a node says while it runs. The chunks of a streamed message and its final
/// <see cref="AgentOutputKind.Message"/> share a <see cref="MessageId"/>; the message's text is the whole text, so a
/// reader that saw the chunks replaces them with it.
/// </summary>
public sealed record AgentOutputItem
{
    /// <summary>A chunk or a whole message.</summary>
    public required AgentOutputKind Kind { get; init; }

    /// <summary>The message this belongs to, unique within the run (such as <c>n7.1</c>: the node's task, then the message's number).</summary>
    public required string MessageId { get; init; }

    /// <summary>The text: the chunk's, or the whole message's.</summary>
    public required string Text { get; init; }

    /// <summary>The node that said it.</summary>
    public required string Node { get; init; }
}
