using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>Any non-empty answer: text, or any JSON value a channel sends.</summary>
public sealed class FreeResponseStep<TState> : HumanStep<TState, JsonElement>
    where TState : class
{
    /// <summary>The largest accepted answer, in characters of its JSON text. The default is 100,000.</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.FreeResponse;

    private protected override JsonTypeInfo<JsonElement> AnswerType => HumanLoopJsonContext.Default.JsonElement;

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out JsonElement answer, [NotNullWhen(false)] out string? error)
    {
        answer = raw;
        bool empty = raw.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => true,
            JsonValueKind.String => string.IsNullOrWhiteSpace(raw.GetString()),
            JsonValueKind.Object => !raw.EnumerateObject().Any(),
            JsonValueKind.Array => raw.GetArrayLength() == 0,
            _ => false,
        };
        if (empty)
        {
            error = "The answer must not be empty.";
            return false;
        }

        if (raw.GetRawText().Length > MaxLength)
        {
            error = $"The answer must be at most {MaxLength} characters.";
            return false;
        }

        error = null;
        return true;
    }
}
