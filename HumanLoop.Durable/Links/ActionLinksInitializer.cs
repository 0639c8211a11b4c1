using Microsoft.Extensions.Hosting;

namespace HumanLoop.Durable.Links;

/// <summary>Creates <c>{Hub}UsedLinks</c> when the host starts (the key ring's container is created on first use).</summary>
internal sealed class ActionLinksInitializer(UsedLinkStore usedLinks) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => usedLinks.CreateIfNotExistsAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
