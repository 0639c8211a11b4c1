using System.Text.Json;

namespace HumanLoop.Durable.Orchestration;

/// <summary>
/// The data of a <see cref="HumanLoopTaskNames.ResponseEvent"/>: an answer with the id that makes it apply once, the
/// request or node it answers, and who answered through which channel.
/// </summary>
public sealed record ResponseEnvelope
{
    /// <summary>A unique id for this answer; raising the same id again changes nothing.</summary>
    public required string MessageId { get; init; }

    /// <summary>The request id, or the human node's name (compared case-insensitively).</summary>
    public required string Target { get; init; }

    /// <summary>The raw answer.</summary>
    public required JsonElement Answer { get; init; }

    /// <summary>Who answered, as the channel authenticated them.</summary>
    public required string Respondent { get; init; }

    /// <summary>The channel it came through.</summary>
    public string? Channel { get; init; }
}
