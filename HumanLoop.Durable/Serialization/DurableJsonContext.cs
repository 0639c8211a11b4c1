using System.Text.Json.Serialization;
using HumanLoop.Durable.Queues;
using HumanLoop.Durable.Runs;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Serialization;

/// <summary>The source-generated JSON contracts of what the task hub stores and queues (same conventions as Core's context).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ControlEnvelope))]
[JsonSerializable(typeof(WorkItem))]
[JsonSerializable(typeof(List<OutboxEntry>))]
[JsonSerializable(typeof(List<RunEvent>))]
[JsonSerializable(typeof(RunMessage))]
[JsonSerializable(typeof(HumanTaskNotice))]
internal sealed partial class DurableJsonContext : JsonSerializerContext;
