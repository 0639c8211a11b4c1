namespace HumanLoop.Human;

/// <summary>Where a human step may be answered. Flags: a step may accept several channels at once.</summary>
[Flags]
public enum HumanChannel
{
    /// <summary>Prompt-and-wait in a console.</summary>
    Console = 1,

    /// <summary>Live chat over WebSocket.</summary>
    Chat = 2,

    /// <summary>An external system answering through the HTTP callback or the task queue.</summary>
    Callback = 4,

    /// <summary>An approval email with signed links.</summary>
    Email = 8,

    /// <summary>Any channel. The default.</summary>
    Any = Console | Chat | Callback | Email,
}
