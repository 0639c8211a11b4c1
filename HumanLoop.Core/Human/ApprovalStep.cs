using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>
/// Approve, or reject with a reason. Accepts <c>{"approved": true}</c>, <c>{"approved": false, "reason": "..."}</c>,
/// <c>{"decision": "approve" | "reject", "reason": "..."}</c>, or typed text such as <c>approve</c> or <c>reject: too long</c>.
/// </summary>
public sealed class ApprovalStep<TState> : HumanStep<TState, ApprovalDecision>
    where TState : class
{
    private static readonly string[] ApproveWords = ["approve", "approved", "yes", "y", "ok"];
    private static readonly string[] RejectWords = ["reject", "rejected", "no", "n"];

    /// <summary>Whether a rejection must give a reason. The default is <see langword="true"/>.</summary>
    public bool RequireReasonOnReject { get; init; } = true;

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Approval;

    private protected override JsonTypeInfo<ApprovalDecision> AnswerType => HumanLoopJsonContext.Default.ApprovalDecision;

    internal override StepPresentation Present(TState state) => new(["approve", "reject"], null);

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out ApprovalDecision answer, [NotNullWhen(false)] out string? error)
    {
        answer = null;
        bool? approved = null;
        string? reason = null;
        if (raw.ValueKind == JsonValueKind.Object)
        {
            if (raw.TryGetProperty("approved", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                approved = a.GetBoolean();
            }
            else if (raw.TryGetProperty("decision", out var d) && d.ValueKind == JsonValueKind.String)
            {
                approved = Word(d.GetString()!);
            }

            if (raw.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
            {
                reason = r.GetString();
            }
        }
        else if (raw.ValueKind == JsonValueKind.String)
        {
            var text = raw.GetString()!.Trim();
            var split = text.IndexOfAny([':', ' ']);
            var word = split < 0 ? text : text[..split];
            approved = Word(word);
            reason = split < 0 ? null : text[(split + 1)..].Trim();
        }
        else if (raw.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            approved = raw.GetBoolean();
        }

        if (approved is null)
        {
            error = $"Answer 'approve' or 'reject' (with a reason), not {Describe(raw)}.";
            return false;
        }

        reason = string.IsNullOrWhiteSpace(reason) ? null : reason;
        if (approved == false && RequireReasonOnReject && reason is null)
        {
            error = "A rejection needs a reason, for example 'reject: the figures are wrong'.";
            return false;
        }

        answer = new ApprovalDecision(approved.Value, reason);
        error = null;
        return true;
    }

    private static bool? Word(string word) =>
        ApproveWords.Contains(word, StringComparer.OrdinalIgnoreCase) ? true
        : RejectWords.Contains(word, StringComparer.OrdinalIgnoreCase) ? false
        : null;
}
