using System.Collections.Immutable;
using System.Text.Json.Serialization;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;

namespace HumanLoop.Durable.Serialization;

/// <summary>
/// The source-generated JSON contracts of what HumanLoop hands the engine (orchestration inputs, activity inputs and
/// results, custom status, answer events) and what it stores and queues itself (same conventions as Core's context).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(RunContinuation))]
[JsonSerializable(typeof(RunCustomStatus))]
[JsonSerializable(typeof(ResponseEnvelope))]
[JsonSerializable(typeof(NodeActivityInput))]
[JsonSerializable(typeof(NodeActivityResult))]
[JsonSerializable(typeof(RecordInput))]
[JsonSerializable(typeof(HumanTaskNotice))]
[JsonSerializable(typeof(WebhookNotice))]
[JsonSerializable(typeof(ImmutableArray<string>))]
internal sealed partial class DurableJsonContext : JsonSerializerContext;
