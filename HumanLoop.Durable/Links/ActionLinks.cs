using HumanLoop.Durable.HumanTasks;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Links;

/// <summary>
/// Builds a notice's links: the review page and one confirm page per quick action, each with its own token, which
/// expires at the task's deadline or after <see cref="ActionLinkOptions.MaxLifetime"/>, whichever comes first.
/// </summary>
internal sealed class ActionLinks(LinkTokenCodec codec, IOptions<ActionLinkOptions> options, TimeProvider time) : IActionLinks
{
    public ActionLinkSet Create(HumanTaskRecord task, string assignee)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentException.ThrowIfNullOrWhiteSpace(assignee);
        var now = time.GetUtcNow();
        var expires = now + options.Value.MaxLifetime;
        if (task.Deadline is { } deadline && deadline < expires)
        {
            expires = deadline;
        }

        var baseUrl = options.Value.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var review = Link(ActionLinkOptions.ReviewPath, LinkToken.ReviewAction);
        var actions = LinkActions.For(task).Select(a => new ActionLink(a.Value, a.Label, Link(ActionLinkOptions.ActionPath, a.Value))).ToList();
        return new ActionLinkSet(review, actions);

        Uri Link(string path, string action) => new($"{baseUrl}{path}/{codec.Protect(new LinkToken
        {
            Id = LinkTokenCodec.NewId(),
            RunId = task.RunId,
            RequestId = task.RequestId,
            Action = action,
            Assignee = assignee,
            EscalationLevel = task.EscalationLevel,
            IssuedAt = now,
            ExpiresAt = expires,
        })}");
    }
}
