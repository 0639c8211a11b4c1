using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Links;
using HumanLoop.Human;

namespace HumanLoop.Durable.Notifications;

/// <summary>The subject, plain text and HTML of one notice email. Everything taken from the task is HTML-encoded.</summary>
/// <param name="Subject">The subject line (one line).</param>
/// <param name="Text">The plain-text part.</param>
/// <param name="Html">The HTML part.</param>
internal sealed record NoticeEmail(string Subject, string Text, string Html)
{
    // The value shown for an edit step is cut here in the email; the review page shows it whole.
    private const int MaxValueChars = 4_000;
    private const int MaxSubjectPromptChars = 80;

    /// <summary>Builds the email of <paramref name="notice"/> for <paramref name="recipient"/>.</summary>
    /// <param name="notice">The notice.</param>
    /// <param name="recipient">The person it goes to.</param>
    /// <param name="links">The review and action links, or null when none can be made (the email then says how to answer).</param>
    public static NoticeEmail Build(TaskNotice notice, Recipient recipient, ActionLinkSet? links)
    {
        var task = notice.Task;
        var subject = notice.Kind switch
        {
            NoticeKinds.Reminder => $"Reminder {notice.Reminder}: {OneLine(task.Prompt)}",
            NoticeKinds.Escalated => $"Escalated to you: {OneLine(task.Prompt)}",
            _ => $"Your review is requested: {OneLine(task.Prompt)}",
        };
        var lead = notice.Kind switch
        {
            NoticeKinds.Reminder => $"Reminder {notice.Reminder}: this request is still waiting for an answer.",
            NoticeKinds.Escalated => $"This request was escalated to you (escalation level {task.EscalationLevel}): nobody answered it in time.",
            _ => "A run is waiting for your answer.",
        };
        var facts = new List<(string Name, string Value)>
        {
            ("Run", $"{task.RunId} ({task.Graph})"),
            ("Step", task.Node),
            ("Opened", task.OpenedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)),
        };
        if (task.Deadline is { } deadline)
        {
            facts.Add(("Deadline", deadline.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)));
        }

        if (!task.Options.IsDefaultOrEmpty)
        {
            facts.Add(("Answers", string.Join(", ", task.Options)));
        }

        var value = EditedValue(task);
        var safeLinks = links is null ? null : Safe(links);
        var howToAnswer = $"Answer it in the HumanLoop inbox, or with POST /api/runs/{task.RunId}/requests/{task.RequestId}/respond.";

        var text = new StringBuilder();
        text.Append("Hello ").Append(recipient.DisplayName).AppendLine(",").AppendLine();
        text.AppendLine(lead).AppendLine();
        text.AppendLine(task.Prompt).AppendLine();
        if (value is not null)
        {
            text.AppendLine("---").AppendLine(value).AppendLine("---").AppendLine();
        }

        foreach (var (name, factValue) in facts)
        {
            text.Append(name).Append(": ").AppendLine(factValue);
        }

        text.AppendLine();
        if (safeLinks is not null)
        {
            foreach (var action in safeLinks.Actions)
            {
                text.Append(action.Label).Append(": ").AppendLine(action.Url.AbsoluteUri);
            }

            text.Append("Review: ").AppendLine(safeLinks.Review.AbsoluteUri);
        }
        else
        {
            text.AppendLine(howToAnswer);
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(Encode(subject)).Append("</title></head>");
        html.Append("<body style=\"font-family:sans-serif;color:#222;max-width:640px\">");
        html.Append("<p>Hello ").Append(Encode(recipient.DisplayName)).Append(",</p>");
        html.Append("<p>").Append(Encode(lead)).Append("</p>");
        html.Append("<p style=\"font-size:1.1em;white-space:pre-wrap\"><strong>").Append(Encode(task.Prompt)).Append("</strong></p>");
        if (value is not null)
        {
            html.Append("<pre style=\"white-space:pre-wrap;border-left:3px solid #ccc;padding-left:8px\">").Append(Encode(value)).Append("</pre>");
        }

        html.Append("<table style=\"border-collapse:collapse\">");
        foreach (var (name, factValue) in facts)
        {
            html.Append("<tr><th style=\"text-align:left;padding-right:12px\">").Append(Encode(name)).Append("</th><td>").Append(Encode(factValue)).Append("</td></tr>");
        }

        html.Append("</table>");
        if (safeLinks is not null)
        {
            html.Append("<p>");
            foreach (var action in safeLinks.Actions)
            {
                html.Append("<a href=\"").Append(Encode(action.Url.AbsoluteUri))
                    .Append("\" style=\"display:inline-block;margin:4px 8px 4px 0;padding:8px 16px;background:#0b5cad;color:#fff;text-decoration:none;border-radius:4px\">")
                    .Append(Encode(action.Label)).Append("</a>");
            }

            html.Append("</p><p><a href=\"").Append(Encode(safeLinks.Review.AbsoluteUri)).Append("\">Open the review page</a></p>");
        }
        else
        {
            html.Append("<p>").Append(Encode(howToAnswer)).Append("</p>");
        }

        html.Append("</body></html>");
        return new NoticeEmail(subject, text.ToString(), html.ToString());
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private static string OneLine(string prompt)
    {
        var line = prompt.ReplaceLineEndings(" ").Trim();
        if (line.Length <= MaxSubjectPromptChars)
        {
            return line;
        }

        // Cut without splitting a surrogate pair.
        var cut = char.IsHighSurrogate(line[MaxSubjectPromptChars - 1]) ? MaxSubjectPromptChars - 1 : MaxSubjectPromptChars;
        return line[..cut] + "…";
    }

    private static string? EditedValue(HumanLoop.Durable.HumanTasks.HumanTaskRecord task)
    {
        if (task.Kind != HumanStepKind.Edit || task.Details is not { ValueKind: JsonValueKind.Object } details
            || !details.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = value.GetString()!;
        if (text.Length <= MaxValueChars)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[MaxValueChars - 1]) ? MaxValueChars - 1 : MaxValueChars;
        return text[..cut] + "… (cut; the review page shows it all)";
    }

    // Only http(s) links become buttons: a link of any other scheme is left out rather than rendered.
    private static ActionLinkSet? Safe(ActionLinkSet links)
    {
        static bool IsWeb(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        return IsWeb(links.Review) ? links with { Actions = [.. links.Actions.Where(a => IsWeb(a.Url))] } : null;
    }
}
