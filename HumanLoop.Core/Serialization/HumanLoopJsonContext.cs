using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Serialization;

/// <summary>The source-generated JSON contracts of everything HumanLoop persists or sends.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(RunState))]
[JsonSerializable(typeof(RunMessage))]
[JsonSerializable(typeof(RunEffect))]
[JsonSerializable(typeof(RunEvent))]
[JsonSerializable(typeof(List<RunEvent>))]
[JsonSerializable(typeof(HumanRequest))]
[JsonSerializable(typeof(ResponseOutcome))]
[JsonSerializable(typeof(ApprovalDecision))]
[JsonSerializable(typeof(EditedValue))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(List<JsonElement>))]
[JsonSerializable(typeof(System.Collections.Immutable.ImmutableArray<string>))]
public sealed partial class HumanLoopJsonContext : JsonSerializerContext;
