using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.RunEvents;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// Creates the <c>{Hub}HumanTasks</c> and <c>{Hub}RunEvents</c> tables (and the task queue) when the Functions worker
/// starts. The self-hosted engine does this itself; in a Function App the host creates only the engine's own tables.
/// </summary>
internal sealed class HumanLoopStoresInitializer(HumanTaskStore tasks, RunEventStore events) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tasks.CreateIfNotExistsAsync(cancellationToken);
        await events.CreateIfNotExistsAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
