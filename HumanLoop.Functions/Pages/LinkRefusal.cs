using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;

namespace HumanLoop.Functions.Pages;

/// <summary>Why a link is refused: the status, what the page says, and what was decided when that is the reason.</summary>
/// <param name="Status">400 forged or malformed, 403 not (or no longer) for this assignee, 409 used or answered, 410 expired or closed.</param>
/// <param name="Title">The page's title.</param>
/// <param name="Message">What the page says.</param>
/// <param name="Used">The link's own recorded decision, when it was used.</param>
/// <param name="Task">The task, when it was answered.</param>
internal sealed record LinkRefusal(int Status, string Title, string Message, UsedLink? Used = null, HumanTaskRecord? Task = null)
{
    public static LinkRefusal Invalid(string message) => new(StatusCodes.Status400BadRequest, "This link is not valid", message);

    public static LinkRefusal Forbidden(string message) => new(StatusCodes.Status403Forbidden, "This link is no longer yours to use", message);

    public static LinkRefusal Forbidden(string title, string message) => new(StatusCodes.Status403Forbidden, title, message);

    public static LinkRefusal Conflict(string title, string message, UsedLink? used = null, HumanTaskRecord? task = null) =>
        new(StatusCodes.Status409Conflict, title, message, used, task);

    public static LinkRefusal Gone(string title, string message) => new(StatusCodes.Status410Gone, title, message);
}
