using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.Notifications;
using HumanLoop.Functions.Identity;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.AspNetCore.Antiforgery;

namespace HumanLoop.Functions.Pages;

/// <summary>
/// The pages email links open: <c>/review/{token}</c> (the request, its context and an editor; answer in place) and
/// <c>/act/{token}</c> (confirm one quick action). GET only shows; POST, with an antiforgery token, commits through
/// <see cref="IDurableRunClient.RespondAsync"/> on the <c>email</c> channel. Refused links get <see cref="LinkGate"/>'s page.
/// </summary>
internal static class LinkPages
{
    /// <summary>The channel answers from these pages are recorded with.</summary>
    public const string Channel = "email";

    private const int MaxContextChars = 20_000;

    public static IEndpointRouteBuilder MapLinkPages(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(ActionLinkOptions.ReviewPath + "/{token}", (string token, HttpContext context, LinkDesk desk) => desk.ShowAsync(token, review: true, context))
            .ExcludeFromDescription();
        routes.MapPost(ActionLinkOptions.ReviewPath + "/{token}", (string token, HttpContext context, LinkDesk desk) => desk.CommitAsync(token, review: true, context))
            .ExcludeFromDescription();
        routes.MapGet(ActionLinkOptions.ActionPath + "/{token}", (string token, HttpContext context, LinkDesk desk) => desk.ShowAsync(token, review: false, context))
            .ExcludeFromDescription();
        routes.MapPost(ActionLinkOptions.ActionPath + "/{token}", (string token, HttpContext context, LinkDesk desk) => desk.CommitAsync(token, review: false, context))
            .ExcludeFromDescription();
        return routes;
    }

    /// <summary>The message id of an answer from a link: derived from the token and the answer, so a resent post is applied once.</summary>
    public static string MessageId(LinkToken token, JsonElement answer)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(answer.GetRawText()));
        return $"link:{token.Id}:{Convert.ToHexStringLower(hash.AsSpan(0, 8))}";
    }

    /// <summary>Renders a refusal.</summary>
    public static PageResult Refused(LinkRefusal refusal)
    {
        var body = new Html().Element("p", refusal.Message, "notice");
        if (refusal.Used is { Completed: true } used)
        {
            body.Raw("<dl class=\"facts\">")
                .Row("Decision", PageText.Answer(used.Decision))
                .Row("By", used.Respondent)
                .Row("When", used.UsedAt is { } at ? PageText.Time(at) : null)
                .Raw("</dl>");
        }
        else if (refusal.Task is { Status: HumanRequestStatus.Accepted } task)
        {
            body.Raw("<dl class=\"facts\">")
                .Row("Decision", PageText.Answer(task.Answer))
                .Row("By", task.Respondent)
                .Row("Via", task.AnsweredVia)
                .Row("When", task.ClosedAt is { } at ? PageText.Time(at) : null)
                .Raw("</dl>");
        }

        return new PageResult(refusal.Status, refusal.Title, body);
    }

    /// <summary>
    /// The review page: prompt, facts, context, and the answer form (with the typed input and an error, after a failed
    /// post). A link bound to one answer (<paramref name="focus"/>: <c>edit</c> or <c>reject</c>) shows only that answer's form.
    /// </summary>
    public static PageResult Review(HttpContext context, IAntiforgery antiforgery, HumanTaskRecord task, string? focus, AnswerForm? typed, string? error, int status)
    {
        var body = new Html();
        body.Element("p", task.Prompt, "prompt");
        Facts(body, task);
        if (task.State is { } state)
        {
            var text = PageJson.Indent(state);
            body.Element("h2", "Context").Element("pre", text.Length > MaxContextChars ? text[..MaxContextChars] + "…" : text, "context");
        }

        body.Raw("<form class=\"answer\" method=\"post\"").Attribute("action", context.Request.PathBase + context.Request.Path).Raw(">");
        Antiforgery(body, context, antiforgery);
        if (error is not null)
        {
            body.Raw("<p class=\"error\" role=\"alert\" id=\"error\">").Text(error).Raw("</p>");
        }

        switch (task.Kind)
        {
            case HumanStepKind.Edit when focus == LinkActions.Reject:
                body.Element("h2", "Draft").Element("pre", EditValue(task), "context");
                Reason(body, typed);
                body.Raw("<div class=\"buttons\"><button type=\"submit\" class=\"danger\" name=\"decision\" value=\"reject\" id=\"reject\">Reject</button></div>");
                break;
            case HumanStepKind.Edit:
                var original = EditValue(task);
                body.Raw("<label for=\"value\">Draft</label><textarea class=\"draft\" id=\"value\" name=\"value\"");
                if (task.Details is { ValueKind: JsonValueKind.Object } details && details.TryGetProperty("maxLength", out var max) && max.TryGetInt32(out var maxLength))
                {
                    body.Attribute("data-max-length", maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                body.Raw(">").Text(typed?.Value ?? original).Raw("</textarea>");
                if (focus == LinkActions.Edit)
                {
                    body.Raw("<div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"edit\" id=\"edit\">Save edits and approve</button></div>");
                    break;
                }

                if (LinkActions.EditCanReject(task))
                {
                    Reason(body, typed);
                }

                body.Raw("<div class=\"buttons\">")
                    .Raw("<button type=\"submit\" name=\"decision\" value=\"edit\" id=\"edit\">Save edits and approve</button>")
                    .Raw("<button type=\"submit\" class=\"secondary\" name=\"decision\" value=\"approve\" id=\"approve\">Approve as is</button>");
                if (LinkActions.EditCanReject(task))
                {
                    body.Raw("<button type=\"submit\" class=\"danger\" name=\"decision\" value=\"reject\" id=\"reject\">Reject</button>");
                }

                body.Raw("</div>");
                break;
            case HumanStepKind.Approval:
                Reason(body, typed);
                body.Raw("<div class=\"buttons\">")
                    .Raw("<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>")
                    .Raw("<button type=\"submit\" class=\"danger\" name=\"decision\" value=\"reject\" id=\"reject\">Reject</button>")
                    .Raw("</div>");
                break;
            case HumanStepKind.Choice:
                body.Raw("<div class=\"buttons\">");
                foreach (var option in task.Options.IsDefault ? [] : task.Options)
                {
                    body.Raw("<button type=\"submit\" name=\"decision\"").Attribute("value", option).Raw(">").Text(option).Raw("</button>");
                }

                body.Raw("</div>");
                break;
            default:
                var multiline = task.Kind is HumanStepKind.Form or HumanStepKind.FreeResponse;
                body.Raw("<label for=\"value\">").Text(task.Kind == HumanStepKind.Form ? "Answer (JSON)" : "Answer").Raw("</label>");
                if (multiline)
                {
                    body.Raw("<textarea id=\"value\" name=\"value\">").Text(typed?.Value).Raw("</textarea>");
                }
                else
                {
                    body.Raw("<input type=\"text\" id=\"value\" name=\"value\"").Attribute("value", typed?.Value).Raw(">");
                }

                body.Raw("<div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"submit\" id=\"submit\">Send</button></div>");
                break;
        }

        body.Raw("</form>");
        return new PageResult(status, "Review: " + task.Node, body);
    }

    /// <summary>The confirm page of a quick action.</summary>
    public static PageResult Confirm(HttpContext context, IAntiforgery antiforgery, HumanTaskRecord task, LinkAction action, AnswerForm? typed, string? error, int status)
    {
        var body = new Html();
        body.Element("p", task.Prompt, "prompt");
        Facts(body, task);
        body.Raw("<form class=\"answer\" method=\"post\"").Attribute("action", context.Request.PathBase + context.Request.Path).Raw(">");
        Antiforgery(body, context, antiforgery);
        if (error is not null)
        {
            body.Raw("<p class=\"error\" role=\"alert\" id=\"error\">").Text(error).Raw("</p>");
        }

        body.Element("p", $"Nothing is recorded until you confirm. Your answer: {action.Label}.");
        if (action.TakesReason)
        {
            Reason(body, typed);
        }

        body.Raw("<div class=\"buttons\"><button type=\"submit\" id=\"confirm\" name=\"decision\"").Attribute("value", action.Value).Raw(">")
            .Text("Confirm: " + action.Label).Raw("</button></div></form>");
        return new PageResult(status, "Confirm: " + action.Label, body);
    }

    /// <summary>The page after a committed answer.</summary>
    public static PageResult Result(HumanTaskRecord task, UsedLink used, bool applied)
    {
        var body = new Html()
            .Element("p", applied ? "Thank you. Your answer was recorded and the run goes on." : "Thank you. Your answer was received; the run applies it shortly.", "notice")
            .Raw("<dl class=\"facts\">")
            .Row("Task", task.Prompt)
            .Row("Decision", PageText.Answer(used.Decision))
            .Row("By", used.Respondent)
            .Row("Via", Channel)
            .Row("When", used.UsedAt is { } at ? PageText.Time(at) : null)
            .Raw("</dl>");
        return new PageResult(applied ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, applied ? "Answer recorded" : "Answer received", body);
    }

    private static string? EditValue(HumanTaskRecord task) =>
        task.Details is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : string.Empty;

    private static void Facts(Html body, HumanTaskRecord task)
    {
        body.Raw("<dl class=\"facts\">")
            .Row("Graph", task.Graph)
            .Row("Step", task.Node)
            .Row("Assigned to", task.Assignees.IsDefaultOrEmpty ? "anyone" : string.Join(", ", task.Assignees))
            .Row("Opened", PageText.Time(task.OpenedAt));
        if (task.Deadline is { } deadline)
        {
            body.Row("Due", PageText.Time(deadline));
        }

        if (task.EscalationLevel > 0)
        {
            body.Row("Escalation", "level " + task.EscalationLevel);
        }

        body.Raw("</dl>");
    }

    private static void Reason(Html body, AnswerForm? typed) =>
        body.Raw("<label for=\"reason\">Reason (required to reject)</label><textarea id=\"reason\" name=\"reason\">").Text(typed?.Reason).Raw("</textarea>");

    private static void Antiforgery(Html body, HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        body.Hidden(tokens.FormFieldName, tokens.RequestToken);
    }
}

/// <summary>Shows and commits link pages; one instance per app.</summary>
internal sealed class LinkDesk(
    LinkGate gate, UsedLinkStore usedLinks, IDurableRunClient runs, IAntiforgery antiforgery, AssigneeDirectory directory, AnswerAuditStore audit, TimeProvider time)
{
    public async Task<IResult> ShowAsync(string token, bool review, HttpContext context)
    {
        var (link, task, refusal) = await gate.CheckAsync(token, review, context.RequestAborted);
        if (refusal is not null)
        {
            return LinkPages.Refused(refusal);
        }

        if (await SignedInElsewhereAsync(context, task!) is { } someoneElse)
        {
            return LinkPages.Refused(NotTheirs(someoneElse, task!));
        }

        return review
            ? LinkPages.Review(context, antiforgery, task!, link!.ReviewFocus, null, null, StatusCodes.Status200OK)
            : LinkPages.Confirm(context, antiforgery, task!, LinkActions.Find(task!, link!.Action)!, null, null, StatusCodes.Status200OK);
    }

    public async Task<IResult> CommitAsync(string token, bool review, HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var (link, task, refusal) = await gate.CheckAsync(token, review, cancellationToken);
        if (refusal is not null || link is null || task is null)
        {
            refusal ??= LinkRefusal.Invalid("The link could not be read.");
            if (link is not null)
            {
                // An answer posted through a link that no longer answers (another channel won, it was used, it expired):
                // refused before it reached the run, so audited here, on the link's channel.
                await AuditRefusalAsync(context, link, refusal);
            }

            return LinkPages.Refused(refusal);
        }

        // Before the antiforgery check, which binds the form to the signed-in person the page was shown to.
        if (await SignedInElsewhereAsync(context, task) is { } someoneElse)
        {
            var refusedAs = NotTheirs(someoneElse, task);
            await audit.AppendAsync(
                new AnswerAuditEntry
                {
                    RunId = link.RunId,
                    RequestId = link.RequestId,
                    Respondent = someoneElse.Respondent,
                    Channel = LinkPages.Channel,
                    At = time.GetUtcNow(),
                    Outcome = AnswerAuditEntry.Forbidden,
                    Reason = refusedAs.Message,
                    Source = AnswerAuditEntry.PagesSource,
                },
                cancellationToken);
            return LinkPages.Refused(refusedAs);
        }

        if (!context.Request.HasFormContentType)
        {
            return LinkPages.Refused(LinkRefusal.Invalid("The answer must be posted from the page's form."));
        }

        AnswerForm form;
        try
        {
            form = AnswerForm.From(await context.Request.ReadFormAsync(cancellationToken));
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return LinkPages.Refused(LinkRefusal.Invalid("The form could not be read; nothing was recorded."));
        }

        var action = review ? null : LinkActions.Find(task!, link!.Action)!;
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return Again(StatusCodes.Status400BadRequest, "The form had expired or did not come from this page; nothing was recorded. Check your answer and send it again.");
        }

        JsonElement answer;
        if (review)
        {
            if (link.ReviewFocus is { } focus && !string.Equals(form.Decision, focus, StringComparison.Ordinal))
            {
                // A link bound to one answer commits only that one.
                return Again(StatusCodes.Status400BadRequest, "This link answers with one button only, the one shown; nothing was recorded.");
            }

            if (!form.TryGetReviewAnswer(task!, out answer, out var formError))
            {
                return Again(StatusCodes.Status400BadRequest, formError);
            }
        }
        else
        {
            answer = LinkActions.Answer(task!, action!, form.Reason);
        }

        // Signed in, a person answers by name (and only their own tasks, checked above); not signed in, the link's assignee does.
        var respondent = Reviewer.From(context.User)?.Respondent ?? link.Assignee;
        if (await usedLinks.TryClaimAsync(link!, time.GetUtcNow(), cancellationToken) is { } holder)
        {
            var inUse = holder.Completed
                ? LinkRefusal.Conflict("This link was already used", "Each link records one decision, and this one has.", holder)
                : LinkRefusal.Conflict("This link is being used", "An answer from this link is being applied right now. Reload this page in a moment to see it.", holder);
            await AuditRefusalAsync(context, link, inUse);
            return LinkPages.Refused(inUse);
        }

        ResponseOutcome outcome;
        try
        {
            outcome = await runs.RespondAsync(link.RunId, link.RequestId, answer, respondent, LinkPages.Channel, LinkPages.MessageId(link, answer), cancellationToken);
        }
        catch (RunNotFoundException)
        {
            await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
            return LinkPages.Refused(LinkRefusal.Gone("This task no longer exists", "The run it belonged to was removed."));
        }
        catch
        {
            await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
            throw;
        }

        switch (outcome.Status)
        {
            case ResponseStatus.Accepted or ResponseStatus.Duplicate or ResponseStatus.Buffered:
                var used = await usedLinks.CompleteAsync(link, answer, outcome.Status.ToString(), respondent, time.GetUtcNow(), CancellationToken.None);
                return LinkPages.Result(task!, used, applied: outcome.Status != ResponseStatus.Buffered);
            case ResponseStatus.Rejected:
                await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
                return Again(StatusCodes.Status400BadRequest, outcome.Message ?? "The answer is not valid.");
            case ResponseStatus.AlreadyAnswered:
                await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
                return LinkPages.Refused(LinkRefusal.Conflict("This task was already answered", outcome.Message ?? "Someone answered it first.", task: Answered(task!, outcome.Request)));
            case ResponseStatus.Expired when outcome.Request?.Status == HumanRequestStatus.Escalated:
                await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
                return LinkPages.Refused(LinkRefusal.Forbidden(outcome.Message ?? "The task was escalated to other reviewers."));
            default:
                await usedLinks.ReleaseAsync(link.Id, CancellationToken.None);
                return LinkPages.Refused(LinkRefusal.Gone("This task is closed", outcome.Message ?? "It no longer takes answers."));
        }

        IResult Again(int status, string? error) => review
            ? LinkPages.Review(context, antiforgery, task!, link.ReviewFocus, form, error, status)
            : LinkPages.Confirm(context, antiforgery, task!, action!, form, error, status);
    }

    private static LinkRefusal NotTheirs(Reviewer reviewer, HumanTaskRecord task) => LinkRefusal.Forbidden(
        "This task is not yours to answer",
        $"You are signed in as {reviewer.Respondent}, who is not an assignee of this task (assigned to {string.Join(", ", task.Assignees)}). Nothing was recorded.");

    // The signed-in person, when they are not one of the task's assignees (by name, by a role they hold, or by a role the directory lists them in).
    private async Task<Reviewer?> SignedInElsewhereAsync(HttpContext context, HumanTaskRecord task) =>
        await ReviewerSignIn.AuthenticateAsync(context) is { } reviewer
            && !task.Assignees.IsDefaultOrEmpty
            && !reviewer.IsAssignee(task.Assignees)
            && !directory.Names(task.Assignees, reviewer.Respondent)
            ? reviewer
            : null;

    // A signed-in assignee is recorded by name, as their answer would have been; otherwise the link's assignee.
    private Task AuditRefusalAsync(HttpContext context, LinkToken link, LinkRefusal refusal) => audit.AppendAsync(
        new AnswerAuditEntry
        {
            RunId = link.RunId,
            RequestId = link.RequestId,
            Respondent = Reviewer.From(context.User)?.Respondent ?? link.Assignee,
            Channel = LinkPages.Channel,
            At = time.GetUtcNow(),
            Outcome = refusal.Status switch
            {
                StatusCodes.Status409Conflict when refusal.Used is not null => nameof(ResponseStatus.Duplicate),
                StatusCodes.Status409Conflict => nameof(ResponseStatus.AlreadyAnswered),
                StatusCodes.Status403Forbidden => AnswerAuditEntry.Forbidden,
                StatusCodes.Status410Gone => nameof(ResponseStatus.Expired),
                _ => nameof(ResponseStatus.Rejected),
            },
            Reason = $"{refusal.Title}: {refusal.Message}",
            Source = AnswerAuditEntry.PagesSource,
        },
        CancellationToken.None);

    private static HumanTaskRecord Answered(HumanTaskRecord task, HumanRequest? request) => request is null
        ? task
        : task with { Status = request.Status, Answer = request.Answer, Respondent = request.Respondent, AnsweredVia = request.AnsweredVia ?? task.AnsweredVia, ClosedAt = request.ClosedAt };
}
