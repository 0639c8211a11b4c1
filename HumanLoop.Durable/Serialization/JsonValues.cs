using System.Text.Json;

namespace HumanLoop.Durable.Serialization;

/// <summary>JSON values HumanLoop hands the engine where it has none of its own.</summary>
internal static class JsonValues
{
    /// <summary>JSON <c>null</c>, detached from any document (a default <see cref="JsonElement"/> cannot be serialized).</summary>
    public static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();
}
