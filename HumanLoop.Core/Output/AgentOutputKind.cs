namespace HumanLoop.Output;

/// <summary>What a piece of agent output is.</summary>
public enum AgentOutputKind
{
    /// <summary>A piece of a message still being written (a streamed token or a few).</summary>
    Chunk,

    /// <summary>A whole message: one said at once, or the full text of a streamed message once it is complete.</summary>
    Message,
}
