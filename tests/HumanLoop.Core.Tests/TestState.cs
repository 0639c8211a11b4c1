using System.Text.Json.Serialization;

namespace HumanLoop.Core.Tests;

/// <summary>A general-purpose state for graph tests.</summary>
public sealed record Doc(
    string Title = "",
    string? Draft = null,
    bool? Approved = null,
    string? Reason = null,
    string? Answer = null,
    decimal? Number = null,
    string? Respondent = null,
    string? Summary = null,
    string? Outline = null,
    IReadOnlyList<string>? Log = null,
    int Counter = 0);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Doc))]
public sealed partial class TestJson : JsonSerializerContext;
