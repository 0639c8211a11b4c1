using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Functions.Identity;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Pages;

/// <summary>
/// <c>GET /inbox</c>: the tasks assigned to the signed-in reviewer, directly or through a role, filtered by status
/// (<c>status=open|accepted|escalated|timedout|cancelled|all</c>, default open), age (<c>age=any|1h|24h|7d|30d</c>:
/// opened within) and deadline (<c>due=any|overdue|24h|7d|none</c>), soonest deadline first; an empty value is the
/// default, any other value a 400 page. Each open task links to its review page with a token made for the reviewer's
/// matching assignee.
/// </summary>
internal static class InboxPage
{
    /// <summary>The inbox's path.</summary>
    public const string Path = "/inbox";

    private const int MaxRows = 200;
    private const int MaxScanned = 2000;
    private const int MaxPromptChars = 200;

    private static readonly Dictionary<string, HumanRequestStatus?> Statuses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["open"] = HumanRequestStatus.Open,
        ["accepted"] = HumanRequestStatus.Accepted,
        ["escalated"] = HumanRequestStatus.Escalated,
        ["timedout"] = HumanRequestStatus.TimedOut,
        ["cancelled"] = HumanRequestStatus.Cancelled,
        ["all"] = null,
    };

    private static readonly Dictionary<string, TimeSpan?> Ages = new(StringComparer.OrdinalIgnoreCase)
    {
        ["any"] = null,
        ["1h"] = TimeSpan.FromHours(1),
        ["24h"] = TimeSpan.FromHours(24),
        ["7d"] = TimeSpan.FromDays(7),
        ["30d"] = TimeSpan.FromDays(30),
    };

    private static readonly string[] Dues = ["any", "overdue", "24h", "7d", "none"];

    public static IEndpointRouteBuilder MapInboxPage(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, ShowAsync).ExcludeFromDescription();
        return routes;
    }

    internal static async Task<IResult> ShowAsync(HttpContext context, HumanTaskStore tasks, IActionLinks links, TimeProvider time, string? status, string? age, string? due)
    {
        var reviewer = await ReviewerSignIn.AuthenticateAsync(context);
        if (reviewer is null)
        {
            return ReviewerSignIn.SignInUrl(context, Path + context.Request.QueryString) is { } signIn
                ? Results.Redirect(signIn)
                : new PageResult(StatusCodes.Status401Unauthorized, "Sign in required", new Html().Element("p", "The inbox shows the tasks of a signed-in reviewer. Sign in through your organisation's sign-in, or enable the local development sign-in (" + DevelopmentSignIn.EnabledSetting + ").", "notice"));
        }

        // An empty value (a hand-edited address) means the default, as a missing one does.
        status = string.IsNullOrWhiteSpace(status) ? "open" : status;
        age = string.IsNullOrWhiteSpace(age) ? "any" : age;
        due = string.IsNullOrWhiteSpace(due) ? "any" : due;
        if (!Statuses.TryGetValue(status, out var wanted) || !Ages.TryGetValue(age, out var within) || !Dues.Contains(due, StringComparer.OrdinalIgnoreCase))
        {
            return new PageResult(StatusCodes.Status400BadRequest, "Unknown filter", new Html().Element(
                "p",
                $"status is one of {string.Join(", ", Statuses.Keys)}; age one of {string.Join(", ", Ages.Keys)}; due one of {string.Join(", ", Dues)}.",
                "error"));
        }

        var now = time.GetUtcNow();
        var found = await tasks.ListAsync(new HumanTaskQuery { Status = wanted, Top = MaxScanned }, context.RequestAborted);
        var rows = found
            .Where(t => reviewer.IsAssignee(t.Assignees))
            .Where(t => within is not { } w || now - t.OpenedAt <= w)
            .Where(t => due.ToLowerInvariant() switch
            {
                "overdue" => t.Deadline is { } d && d <= now,
                "24h" => t.Deadline is { } d && d > now && d - now <= TimeSpan.FromHours(24),
                "7d" => t.Deadline is { } d && d > now && d - now <= TimeSpan.FromDays(7),
                "none" => t.Deadline is null,
                _ => true,
            })
            .OrderBy(t => t.Deadline ?? DateTimeOffset.MaxValue)
            .ThenBy(t => t.OpenedAt)
            .Take(MaxRows)
            .ToList();

        var body = new Html();
        Filters(body, context, status, age, due);
        if (rows.Count == 0)
        {
            body.Element("p", "Nothing here.", "notice");
        }
        else
        {
            body.Raw("<table class=\"tasks\"><thead><tr><th>Task</th><th>Step</th><th>Status</th><th>Opened</th><th>Due</th><th></th></tr></thead><tbody>");
            foreach (var task in rows)
            {
                body.Raw("<tr>")
                    .Element("td", Shorten(task.Prompt))
                    .Element("td", $"{task.Graph} / {task.Node}")
                    .Element("td", task.Status.ToString())
                    .Element("td", PageText.Time(task.OpenedAt))
                    .Element("td", task.Deadline is { } d ? PageText.Time(d) : "—")
                    .Raw("<td>");
                if (task.Status == HumanRequestStatus.Open && !task.Channel.HasFlag(HumanChannel.Email))
                {
                    // The step does not take answers from these pages: its review link would be refused.
                    body.Element("span", "Answered through " + PageText.Channels(task.Channel), "muted");
                }
                else if (task.Status == HumanRequestStatus.Open)
                {
                    var link = links.Create(task, MatchingAssignee(task, reviewer)).Review;
                    body.Raw("<a class=\"review\"").Attribute("href", context.Request.PathBase + link.AbsolutePath).Raw(">Review</a>");
                }
                else
                {
                    body.Text(PageText.Answer(task.Answer)).Raw("<br>").Element("span", task.Respondent, "muted");
                }

                body.Raw("</td></tr>");
            }

            body.Raw("</tbody></table>");
        }

        var signOut = context.User.Identity?.AuthenticationType == DevelopmentSignIn.Scheme ? DevelopmentSignIn.SignOutPath
            : OpenIdSignIn.IsEnabled(context) ? OpenIdSignIn.SignOutPath
            : null;
        if (signOut is not null)
        {
            body.Raw("<form method=\"post\"").Attribute("action", context.Request.PathBase + signOut).Raw(">")
                .Hidden(SignOutField(context).Name, SignOutField(context).Value)
                .Raw("<div class=\"buttons\"><button type=\"submit\" class=\"secondary\" id=\"signout\">Sign out</button></div></form>");
        }

        return new PageResult(StatusCodes.Status200OK, "Inbox", body);
    }

    /// <summary>The assignee entry through which <paramref name="reviewer"/> holds <paramref name="task"/>.</summary>
    internal static string MatchingAssignee(HumanTaskRecord task, Reviewer reviewer)
    {
        foreach (var assignee in task.Assignees.IsDefault ? [] : task.Assignees)
        {
            if (reviewer.IsAssignee([assignee]))
            {
                return assignee;
            }
        }

        return reviewer.Respondent;
    }

    private static (string Name, string? Value) SignOutField(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().GetAndStoreTokens(context);
        return (tokens.FormFieldName, tokens.RequestToken);
    }

    private static void Filters(Html body, HttpContext context, string status, string age, string due)
    {
        body.Raw("<form class=\"filters\" method=\"get\"").Attribute("action", context.Request.PathBase + Path).Raw(">");
        Select(body, "status", "Status", Statuses.Keys, status);
        Select(body, "age", "Opened within", Ages.Keys, age);
        Select(body, "due", "Due", Dues, due);
        body.Raw("<button type=\"submit\" id=\"filter\">Filter</button></form>");
    }

    private static void Select(Html body, string name, string label, IEnumerable<string> values, string selected)
    {
        body.Raw("<label>").Text(label).Raw("<select").Attribute("name", name).Attribute("id", name).Raw(">");
        foreach (var value in values)
        {
            body.Raw("<option").Attribute("value", value);
            if (string.Equals(value, selected, StringComparison.OrdinalIgnoreCase))
            {
                body.Raw(" selected");
            }

            body.Raw(">").Text(value).Raw("</option>");
        }

        body.Raw("</select></label>");
    }

    private static string Shorten(string text)
    {
        if (text.Length <= MaxPromptChars)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[MaxPromptChars - 1]) ? MaxPromptChars - 1 : MaxPromptChars;
        return text[..cut] + "…";
    }
}
