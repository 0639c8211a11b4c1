using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Callbacks;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.RunEvents;
using Microsoft.Extensions.Hosting;

namespace HumanLoop.Durable.Hosting;

/// <summary>
/// Creates HumanLoop's own <c>{Hub}HumanTasks</c>, <c>{Hub}Notices</c>, <c>{Hub}WebhookDeadLetters</c>,
/// <c>{Hub}Audit</c>, <c>{Hub}Idempotency</c> and <c>{Hub}Live</c> tables and the task queue when the host
/// starts, in both hosts: the engine (the Functions host's, or the self-hosted one) creates only its own.
/// </summary>
internal sealed class HumanLoopStoresInitializer(HumanTaskStore tasks, RunEventStore events, NoticeLog notices, WebhookDeadLetterStore deadLetters, AnswerAuditStore audit, IdempotencyStore idempotency, LiveLog live) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tasks.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await events.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await notices.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await deadLetters.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await audit.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await idempotency.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await live.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
