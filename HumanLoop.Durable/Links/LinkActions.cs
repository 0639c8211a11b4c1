using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Human;

namespace HumanLoop.Durable.Links;

/// <summary>A quick action a task offers in a notice: its value, its label, and the answer it sends.</summary>
/// <param name="Value">The action's value (for an approval: <c>approve</c> or <c>reject</c>).</param>
/// <param name="Label">What its button says.</param>
/// <param name="TakesReason">Whether its page asks for a reason (a rejection).</param>
/// <param name="OpensReview">
/// Whether its link opens the review page bound to this answer (something must be typed there: the edited text, or a
/// required reason) rather than a confirm page.
/// </param>
public sealed record LinkAction(string Value, string Label, bool TakesReason = false, bool OpensReview = false);

/// <summary>
/// Which quick actions each kind of step offers, and the answer each sends: an approval offers approve and reject (with
/// a reason); an edit offers approve as is, edit then approve (the review page's editor) and, when its step allows it,
/// reject with a reason (the review page's reject form); a choice offers one action per option. Other kinds have only
/// the review page, where the answer is typed.
/// </summary>
public static class LinkActions
{
    /// <summary>The value of the approve action.</summary>
    public const string Approve = "approve";

    /// <summary>The value of the reject action.</summary>
    public const string Reject = "reject";

    /// <summary>The value of an edit step's edit-then-approve action.</summary>
    public const string Edit = "edit";

    /// <summary>The quick actions <paramref name="task"/> offers, in the order a notice shows them.</summary>
    /// <param name="task">The task.</param>
    public static IReadOnlyList<LinkAction> For(HumanTaskRecord task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Kind switch
        {
            HumanStepKind.Approval => [new(Approve, "Approve"), new(Reject, "Reject", TakesReason: true)],
            HumanStepKind.Edit when EditCanReject(task) =>
                [new(Approve, "Approve as is"), new(Edit, "Edit then approve", OpensReview: true), new(Reject, "Reject with a reason", TakesReason: true, OpensReview: true)],
            HumanStepKind.Edit => [new(Approve, "Approve as is"), new(Edit, "Edit then approve", OpensReview: true)],
            HumanStepKind.Choice => [.. Options(task).Select(o => new LinkAction(o, o))],
            _ => [],
        };
    }

    /// <summary>The quick action <paramref name="value"/> of <paramref name="task"/>, or null when it offers none by that value.</summary>
    /// <param name="task">The task.</param>
    /// <param name="value">The action's value.</param>
    public static LinkAction? Find(HumanTaskRecord task, string value) =>
        For(task).FirstOrDefault(a => string.Equals(a.Value, value, StringComparison.Ordinal));

    /// <summary>Whether an edit step also accepts a rejection (its step sets <c>allowReject</c>).</summary>
    /// <param name="task">The task.</param>
    public static bool EditCanReject(HumanTaskRecord task) =>
        task is { Kind: HumanStepKind.Edit, Details: { ValueKind: JsonValueKind.Object } details }
        && details.TryGetProperty("allowReject", out var allow) && allow.ValueKind == JsonValueKind.True;

    /// <summary>The answer a quick action sends, in the shape the step accepts.</summary>
    /// <param name="task">The task.</param>
    /// <param name="action">One of its actions.</param>
    /// <param name="reason">The reason typed on the confirm page, for a rejection.</param>
    public static JsonElement Answer(HumanTaskRecord task, LinkAction action, string? reason)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(action);
        JsonNode node = task.Kind switch
        {
            HumanStepKind.Approval => Decision(action.Value == Approve, reason),
            HumanStepKind.Edit => new JsonObject { ["unchanged"] = true },
            _ => JsonValue.Create(action.Value),
        };
        return ToElement(node);
    }

    /// <summary>A JSON node as an element.</summary>
    /// <param name="node">The node.</param>
    public static JsonElement ToElement(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>An approval's answer.</summary>
    /// <param name="approved">Approve or reject.</param>
    /// <param name="reason">The reason, sent when not blank.</param>
    public static JsonObject Decision(bool approved, string? reason)
    {
        var answer = new JsonObject { ["approved"] = approved };
        if (!string.IsNullOrWhiteSpace(reason))
        {
            answer["reason"] = reason;
        }

        return answer;
    }

    private static ImmutableArray<string> Options(HumanTaskRecord task) => task.Options.IsDefault ? [] : task.Options;
}
