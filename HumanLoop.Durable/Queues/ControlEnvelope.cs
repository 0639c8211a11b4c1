using System.Text.Json;

namespace HumanLoop.Durable.Queues;

/// <summary>
/// A control-queue message: a run message for one run. The message is kept as raw JSON so that a message that cannot
/// be read still names its run (and can fail it when it turns poison).
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Message">The <see cref="HumanLoop.Runs.RunMessage"/> JSON, when inline.</param>
/// <param name="MessageRef">A <see cref="Storage.LargePayloadStore"/> reference to the message JSON, when too large for the queue.</param>
internal sealed record ControlEnvelope(string RunId, JsonElement? Message = null, string? MessageRef = null);
