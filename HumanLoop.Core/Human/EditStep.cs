using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>
/// The reviewer edits a value, such as a draft, or approves it unchanged. Accepts the edited text, <c>{"value": "..."}</c>,
/// or <c>{"unchanged": true}</c> (typed: <c>/approve</c>) to keep the value as shown.
/// </summary>
public sealed class EditStep<TState> : HumanStep<TState, EditedValue>
    where TState : class
{
    /// <summary>The value shown for editing, taken from the state.</summary>
    public required Func<TState, string> Value { get; init; }

    /// <summary>The longest accepted value. The default is 100,000 characters.</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Edit;

    private protected override JsonTypeInfo<EditedValue> AnswerType => HumanLoopJsonContext.Default.EditedValue;

    internal override StepPresentation Present(TState state) =>
        StepPresentation.Of(new JsonObject { ["value"] = Value(state), ["maxLength"] = MaxLength });

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out EditedValue answer, [NotNullWhen(false)] out string? error)
    {
        answer = null;
        var original = Value(state);
        string? edited = raw.ValueKind switch
        {
            JsonValueKind.String when raw.GetString()!.Trim() is "/approve" => original,
            JsonValueKind.String => raw.GetString(),
            JsonValueKind.Object when raw.TryGetProperty("unchanged", out var u) && u.ValueKind == JsonValueKind.True => original,
            JsonValueKind.Object when raw.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String => v.GetString(),
            _ => null,
        };

        if (edited is null)
        {
            error = $"Send the edited text, or '/approve' to keep it unchanged; not {Describe(raw)}.";
            return false;
        }

        if (string.IsNullOrWhiteSpace(edited))
        {
            error = "The edited value must not be empty; send '/approve' to keep it unchanged.";
            return false;
        }

        if (edited.Length > MaxLength)
        {
            error = $"The edited value must be at most {MaxLength} characters (it has {edited.Length}).";
            return false;
        }

        answer = new EditedValue(edited, !string.Equals(edited, original, StringComparison.Ordinal));
        error = null;
        return true;
    }
}
