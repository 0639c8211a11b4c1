using HumanLoop.Durable.HumanTasks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Links;

/// <summary>
/// Builds a notice's links: the review page and one link per quick action (its confirm page, or the review page bound to
/// it when something must be typed), each with its own token, which
/// expires at the task's deadline or after <see cref="ActionLinkOptions.MaxLifetime"/>, whichever comes first.
/// </summary>
internal sealed class ActionLinks(LinkTokenCodec codec, IOptions<ActionLinkOptions> options, TimeProvider time, IServiceProvider services) : IActionLinks
{
    private const string LocalApp = "http://localhost:7071";

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

        var baseUrl = BaseUrl();
        var review = Link(ActionLinkOptions.ReviewPath, LinkToken.ReviewAction);
        var actions = LinkActions.For(task)
            .Select(a => new ActionLink(a.Value, a.Label, a.OpensReview ? Link(ActionLinkOptions.ReviewPath, LinkToken.ReviewFor(a.Value)) : Link(ActionLinkOptions.ActionPath, a.Value)))
            .ToList();
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

    private string BaseUrl()
    {
        if (options.Value.BaseUrl is { } configured)
        {
            return configured.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return LocalApp;
        }

        var host = uri.Host is "0.0.0.0" or "[::]" ? "localhost" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }
}
