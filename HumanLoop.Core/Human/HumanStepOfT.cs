using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace HumanLoop.Human;

/// <summary>A human step whose accepted answers have the type <typeparamref name="TAnswer"/>.</summary>
/// <typeparam name="TState">The graph's state.</typeparam>
/// <typeparam name="TAnswer">The validated answer.</typeparam>
public abstract class HumanStep<TState, TAnswer> : HumanStep<TState>
    where TState : class
{
    private readonly TAnswer _default = default!;
    private readonly bool _hasDefault;

    /// <summary>
    /// The default answer, taken when attempts run out (<see cref="AttemptsExhaustedAction.TakeDefault"/>) or the
    /// timeout elapses (<see cref="TimeoutAction.TakeDefault"/>). Unset by default.
    /// </summary>
    public TAnswer Default
    {
        get => _default;
        init
        {
            _default = value;
            _hasDefault = true;
        }
    }

    /// <summary>An optional extra rule run after the kind's built-in rules; returns an error message, or <see langword="null"/> when valid.</summary>
    public Func<TState, TAnswer, string?>? Validator { get; init; }

    /// <summary>Applies an accepted answer to the state. Must be deterministic: it runs inside the run machine.</summary>
    public required Func<TState, HumanAnswer<TAnswer>, TState> Apply { get; init; }

    internal override bool HasDefault => _hasDefault;

    /// <summary>The source-generated JSON contract of the answer type.</summary>
    private protected abstract JsonTypeInfo<TAnswer> AnswerType { get; }

    /// <summary>Parses a raw answer and checks the kind's built-in rules.</summary>
    private protected abstract bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out TAnswer answer, [NotNullWhen(false)] out string? error);

    internal override JsonElement DefaultAnswerJson() => JsonSerializer.SerializeToElement(_default, AnswerType);

    internal override AnswerCheck Check(TState state, JsonElement raw)
    {
        if (!TryParse(state, raw, out var answer, out var error))
        {
            return AnswerCheck.Invalid(error);
        }

        if (Validator?.Invoke(state, answer) is { } custom)
        {
            return AnswerCheck.Invalid(custom);
        }

        return new AnswerCheck(JsonSerializer.SerializeToElement(answer, AnswerType), null);
    }

    internal override TState ApplyAnswer(TState state, JsonElement normalized, string respondent, DateTimeOffset answeredAt)
    {
        var value = normalized.Deserialize(AnswerType)!;
        return Apply(state, new HumanAnswer<TAnswer>(value, respondent, answeredAt));
    }

    /// <summary>Reads a JSON string, or the text of a number or boolean, as typed text.</summary>
    private protected static string? AsText(JsonElement raw) => raw.ValueKind switch
    {
        JsonValueKind.String => raw.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => raw.GetRawText(),
        _ => null,
    };

    private protected static string Describe(JsonElement raw) => raw.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.Null or JsonValueKind.Undefined => "nothing",
        _ => "'" + raw.GetRawText() + "'",
    };
}
