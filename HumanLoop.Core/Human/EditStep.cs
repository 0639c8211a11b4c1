using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>
/// The reviewer edits a value, such as a draft, or approves it unchanged. Accepts the edited text, <c>{"value": "..."}</c>,
/// or <c>{"unchanged": true}</c> (typed: <c>/approve</c>) to keep the value as shown. When <see cref="AllowReject"/> is set, it
/// also accepts <c>{"reject": "reason"}</c> (typed: <c>/reject reason</c>): the value is kept as shown and marked rejected.
/// </summary>
public sealed class EditStep<TState> : HumanStep<TState, EditedValue>
    where TState : class
{
    /// <summary>The value shown for editing, taken from the state.</summary>
    public required Func<TState, string> Value { get; init; }

    /// <summary>The longest accepted value. The default is 100,000 characters.</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <summary>Whether the reviewer may reject the value with a reason instead of approving it. The default is false.</summary>
    public bool AllowReject { get; init; }

    /// <summary>The longest accepted rejection reason. The default is 2,000 characters.</summary>
    public int MaxReasonLength { get; init; } = 2_000;

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Edit;

    private protected override JsonTypeInfo<EditedValue> AnswerType => HumanLoopJsonContext.Default.EditedValue;

    internal override StepPresentation Present(TState state) =>
        StepPresentation.Of(new JsonObject { ["value"] = Value(state), ["maxLength"] = MaxLength, ["allowReject"] = AllowReject });

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out EditedValue answer, [NotNullWhen(false)] out string? error)
    {
        answer = null;
        var original = Value(state);
        if (TryParseRejection(raw, out var reason))
        {
            return CheckRejection(original, reason, out answer, out error);
        }

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
            error = AllowReject
                ? $"Send the edited text, '/approve' to keep it unchanged, or '/reject REASON'; not {Describe(raw)}."
                : $"Send the edited text, or '/approve' to keep it unchanged; not {Describe(raw)}.";
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

    // A rejection: the text '/reject REASON', or an object with a "reject" member (reason null when it names none).
    private static bool TryParseRejection(JsonElement raw, out string? reason)
    {
        reason = null;
        if (raw.ValueKind == JsonValueKind.String && raw.GetString()!.TrimStart() is var text
            && (text.Equals("/reject", StringComparison.OrdinalIgnoreCase) || text.StartsWith("/reject ", StringComparison.OrdinalIgnoreCase)))
        {
            reason = text["/reject".Length..].Trim();
            return true;
        }

        if (raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("reject", out var r))
        {
            reason = r.ValueKind == JsonValueKind.String ? r.GetString()!.Trim() : null;
            return true;
        }

        return false;
    }

    private bool CheckRejection(string original, string? reason, [MaybeNullWhen(false)] out EditedValue answer, [NotNullWhen(false)] out string? error)
    {
        answer = null;
        if (!AllowReject)
        {
            error = "This step does not accept a rejection; send the edited text, or '/approve' to keep it unchanged.";
            return false;
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            error = "A rejection needs a reason: '/reject REASON' or {\"reject\": \"REASON\"}.";
            return false;
        }

        if (reason.Length > MaxReasonLength)
        {
            error = $"The reason must be at most {MaxReasonLength} characters (it has {reason.Length}).";
            return false;
        }

        answer = new EditedValue(original, false) { Rejected = true, Reason = reason };
        error = null;
        return true;
    }
}
