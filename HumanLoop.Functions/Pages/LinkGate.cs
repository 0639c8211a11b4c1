using HumanLoop.Durable.Client;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.Notifications;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Pages;

/// <summary>
/// Checks a link before a page shows or commits anything, in this order: the token reads (else 400); it has not been
/// used (409, with what it decided); it has not expired (410); its task exists and its run is still running (410); the
/// step takes answers by email link (<see cref="HumanChannel.Email"/>, 403); the task has not escalated past the token's
/// level and still names its assignee, directly or through a role the directory lists them in (403); the task is not
/// answered (409) or otherwise closed (410); the task offers the link's action on that page (400). A refused link
/// changes nothing.
/// </summary>
internal sealed class LinkGate(LinkTokenCodec codec, UsedLinkStore usedLinks, HumanTaskStore tasks, IDurableRunClient runs, AssigneeDirectory directory, TimeProvider time)
{
    /// <summary>The token and its task, or why the link is refused.</summary>
    /// <param name="text">The token text from the URL.</param>
    /// <param name="review">Whether the page is the review page (else a quick action's confirm page).</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    public async Task<(LinkToken? Token, HumanTaskRecord? Task, LinkRefusal? Refusal)> CheckAsync(string text, bool review, CancellationToken cancellationToken)
    {
        if (!codec.TryUnprotect(text, out var token))
        {
            return (null, null, LinkRefusal.Invalid("The link is damaged or was not made by this service. Open it again from the message you received, copying it whole."));
        }

        if (token.IsReview != review)
        {
            // A genuine link on the wrong page: refused, and audited when an answer is posted through it.
            return (token, null, LinkRefusal.Invalid(review ? "This link is a quick action, not a review link." : "This link opens the review page, not a quick action."));
        }

        if (await usedLinks.GetAsync(token.Id, cancellationToken) is { } used
            && (used.Completed || time.GetUtcNow() - used.ClaimedAt < UsedLinkStore.AbandonedClaimAfter))
        {
            return (token, null, used.Completed
                ? LinkRefusal.Conflict("This link was already used", "Each link records one decision, and this one has.", used)
                : LinkRefusal.Conflict("This link is being used", "An answer from this link is being applied right now. Reload this page in a moment to see it."));
        }

        var now = time.GetUtcNow();
        if (now >= token.ExpiresAt)
        {
            return (token, null, LinkRefusal.Gone("This link has expired", $"It was valid until {PageText.Time(token.ExpiresAt)}."));
        }

        var task = await tasks.GetAsync(token.RunId, token.RequestId, cancellationToken);
        var run = task is null ? null : await runs.GetStatusAsync(token.RunId, new StatusOptions { ShowInput = false, ShowOutput = false }, cancellationToken);
        if (task is null || run is null)
        {
            return (token, null, LinkRefusal.Gone("This task no longer exists", "The run it belonged to was removed."));
        }

        if (!task.Channel.HasFlag(HumanChannel.Email))
        {
            return (token, task, LinkRefusal.Forbidden(
                "This task does not take answers from links",
                $"Its step is answered through {PageText.Channels(task.Channel)} only, so this page cannot answer it."));
        }

        // The run's status is ahead of the task table: an escalation shows there before its records are written.
        var escalatedInRun = task.Status == HumanRequestStatus.Open
            && !run.OpenRequests.Any(r => string.Equals(r.Id, task.RequestId, StringComparison.OrdinalIgnoreCase))
            && run.OpenRequests.Any(r => string.Equals(r.Node, task.Node, StringComparison.Ordinal) && r.EscalationLevel > token.EscalationLevel);
        if (escalatedInRun || task.Status == HumanRequestStatus.Escalated || task.EscalationLevel != token.EscalationLevel)
        {
            return (token, task, LinkRefusal.Forbidden("The task was escalated to other reviewers after this link was sent, so this link no longer answers it."));
        }

        if (!task.Assignees.IsDefaultOrEmpty && !directory.Names(task.Assignees, token.Assignee))
        {
            return (token, task, LinkRefusal.Forbidden("This task is not assigned to the person this link was sent to."));
        }

        if (task.Status == HumanRequestStatus.Accepted)
        {
            return (token, task, LinkRefusal.Conflict("This task was already answered", "Someone answered it before this link was used.", task: task));
        }

        if (task.Status != HumanRequestStatus.Open || run.RuntimeStatus is not (RunStatus.Running or RunStatus.Pending))
        {
            return (token, task, LinkRefusal.Gone("This task is closed", task.Status == HumanRequestStatus.Open
                ? $"Its run has ended ({run.RuntimeStatus})."
                : $"It closed ({task.Status}){(task.LastError is { Length: > 0 } why ? ": " + why : ".")}"));
        }

        if (task.Deadline is { } deadline && now >= deadline)
        {
            return (token, task, LinkRefusal.Gone("This task is past its deadline", $"Answers were due by {PageText.Time(deadline)}."));
        }

        if (!review && LinkActions.Find(task, token.Action) is not { OpensReview: false })
        {
            return (token, task, LinkRefusal.Invalid($"This task does not offer the action '{token.Action}'."));
        }

        if (token.ReviewFocus is { } focus && LinkActions.Find(task, focus) is not { OpensReview: true })
        {
            return (token, task, LinkRefusal.Invalid($"This task does not offer the action '{focus}' on its review page."));
        }

        return (token, task, null);
    }
}
