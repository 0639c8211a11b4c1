using System.Text.Json;
using System.Text.Json.Serialization;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Api;

/// <summary>
/// The source-generated JSON contracts of the HTTP API: camelCase like Durable Functions' HTTP API,
/// enums as strings, nulls left out except where Durable Functions always writes the key.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(HttpManagementPayload))]
[JsonSerializable(typeof(InstanceStatusResponse))]
[JsonSerializable(typeof(List<InstanceStatusResponse>))]
[JsonSerializable(typeof(PurgeHistoryResponse))]
[JsonSerializable(typeof(RespondResponse))]
[JsonSerializable(typeof(HumanRequest))]
[JsonSerializable(typeof(List<HumanRequest>))]
[JsonSerializable(typeof(HumanLoop.Durable.Audit.AnswerAuditEntry))]
[JsonSerializable(typeof(List<HumanLoop.Durable.Audit.AnswerAuditEntry>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
