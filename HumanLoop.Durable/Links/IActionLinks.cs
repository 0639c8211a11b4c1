using HumanLoop.Durable.HumanTasks;

namespace HumanLoop.Durable.Links;

/// <summary>
/// Builds the links a notification carries for one assignee of one open human task: the review page, and one
/// link per action the step allows (approve, reject, ...). Each link carries a signed, expiring, single-use token
/// bound to the request, the action, the assignee and the task's escalation level.
/// </summary>
public interface IActionLinks
{
    /// <summary>The links for <paramref name="assignee"/> (a <c>user:NAME</c> or <c>role:NAME</c> string) on <paramref name="task"/>.</summary>
    /// <param name="task">The open task, as recorded.</param>
    /// <param name="assignee">The assignee the notice goes to.</param>
    /// <returns>The review link and the action links, in the order a notice shows them.</returns>
    ActionLinkSet Create(HumanTaskRecord task, string assignee);
}

/// <summary>The links of one notice.</summary>
/// <param name="Review">The review page: shows the request and lets the assignee answer (never commits on GET).</param>
/// <param name="Actions">One link per quick action: a confirm page that commits on POST, or the review page bound to that action when something must be typed (an edit, a required reason).</param>
public sealed record ActionLinkSet(Uri Review, IReadOnlyList<ActionLink> Actions);

/// <summary>A quick action's link.</summary>
/// <param name="Action">The action's value (for an approval: <c>approve</c> or <c>reject</c>).</param>
/// <param name="Label">What the button says.</param>
/// <param name="Url">Where it leads.</param>
public sealed record ActionLink(string Action, string Label, Uri Url);
