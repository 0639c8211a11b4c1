using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Human;

namespace HumanLoop.Functions.Pages;

/// <summary>What a review or confirm form posted: the button pressed, the value typed, the reason typed.</summary>
/// <param name="Decision">The pressed button's value.</param>
/// <param name="Value">The edited or typed value.</param>
/// <param name="Reason">The reason, for a rejection.</param>
internal sealed record AnswerForm(string? Decision, string? Value, string? Reason)
{
    /// <summary>The review form's button that approves an edit unchanged, or approves an approval.</summary>
    public const string ApproveDecision = "approve";

    /// <summary>The review form's button that approves an edit with the edited value.</summary>
    public const string EditDecision = "edit";

    /// <summary>The review form's button that rejects.</summary>
    public const string RejectDecision = "reject";

    /// <summary>The review form's button that sends a typed answer.</summary>
    public const string SubmitDecision = "submit";

    /// <summary>Reads the posted form.</summary>
    public static AnswerForm From(IFormCollection form) => new(
        form["decision"].FirstOrDefault(),
        Normalize(form["value"].FirstOrDefault()),
        Normalize(form["reason"].FirstOrDefault()));

    /// <summary>The answer the review form sends for <paramref name="task"/>, or a message saying what to fix first.</summary>
    /// <param name="task">The task.</param>
    /// <param name="answer">The answer, when the form reads.</param>
    /// <param name="error">What to fix, when it does not.</param>
    public bool TryGetReviewAnswer(HumanTaskRecord task, out JsonElement answer, out string? error)
    {
        answer = default;
        error = null;
        JsonNode? node = (task.Kind, Decision) switch
        {
            (HumanStepKind.Edit, ApproveDecision) => new JsonObject { ["unchanged"] = true },
            (HumanStepKind.Edit, EditDecision) => new JsonObject { ["value"] = Value ?? string.Empty },
            (HumanStepKind.Edit, RejectDecision) when LinkActions.EditCanReject(task) => new JsonObject { ["reject"] = Reason ?? string.Empty },
            (HumanStepKind.Approval, ApproveDecision) => LinkActions.Decision(true, Reason),
            (HumanStepKind.Approval, RejectDecision) => LinkActions.Decision(false, Reason),
            (HumanStepKind.Choice, { } choice) when !task.Options.IsDefault && task.Options.Contains(choice, StringComparer.Ordinal) => JsonValue.Create(choice),
            (HumanStepKind.Number, SubmitDecision) => double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : JsonValue.Create(Value ?? string.Empty),
            (HumanStepKind.Form, SubmitDecision) => ParseJson(Value, out error),
            (HumanStepKind.Text or HumanStepKind.FreeResponse, SubmitDecision) => JsonValue.Create(Value ?? string.Empty),
            _ => null,
        };
        if (node is null)
        {
            error ??= "Choose one of the buttons below.";
            return false;
        }

        answer = LinkActions.ToElement(node);
        return true;
    }

    private static JsonNode? ParseJson(string? text, out string? error)
    {
        error = null;
        try
        {
            return JsonNode.Parse(string.IsNullOrWhiteSpace(text) ? "null" : text) ?? throw new JsonException();
        }
        catch (JsonException e)
        {
            error = $"The answer must be JSON: {e.Message}";
            return null;
        }
    }

    // Browsers post a textarea's line breaks as CRLF; the value shown had LF.
    private static string? Normalize(string? text) => text?.Replace("\r\n", "\n", StringComparison.Ordinal);
}
