namespace HumanLoop.Durable.Live;

/// <summary>What a live-log entry reports. Each is one frame of the live protocol (docs/live.md).</summary>
public enum LiveEntryType
{
    /// <summary>A piece of a message a node is streaming.</summary>
    Chunk,

    /// <summary>A whole message, or the full text of a streamed one (same message id as its chunks).</summary>
    Message,

    /// <summary>A human request opened: its kind, prompt, options or schema.</summary>
    Prompt,

    /// <summary>An answer was refused by validation; the request stays open and is asked again in place.</summary>
    Invalid,

    /// <summary>An answer was accepted: who gave it, through which channel.</summary>
    Accepted,

    /// <summary>Something else the run did: a node started, finished or failed; a reminder; an escalation; a timeout.</summary>
    Status,

    /// <summary>A request was withdrawn without an answer (it was recorded for a transition that did not happen).</summary>
    Withdrawn,

    /// <summary>The run ended: completed, failed or terminated. Nothing follows.</summary>
    End,
}
