using System.Globalization;
using Azure.Storage.Queues;

namespace HumanLoop.TimerProbe;

/// <summary>
/// Durable Functions' design: each timer is a queue message sent with a visibility delay, and the
/// poller receives messages as they become visible. The delay is whole seconds (the REST API's unit),
/// rounded up so a timer never fires early; a message seen early anyway is hidden again.
/// </summary>
internal sealed class QueueTimerDesign(QueueClient queue, TimeProvider time, ProbeSettings settings) : ITimerDesign
{
    private static readonly TimeSpan ReceiveVisibility = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(10);

    public string Name => "queue";

    public Task PrepareAsync(CancellationToken cancellationToken) => queue.CreateAsync(cancellationToken: cancellationToken);

    public Task ScheduleAsync(PlannedTimer timer, CancellationToken cancellationToken)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $"{timer.Id}|{timer.Due.UtcTicks}");
        return queue.SendMessageAsync(body, WholeSecondsUntil(timer.Due), TimeSpan.FromSeconds(-1), cancellationToken);
    }

    public async Task RunPollerAsync(Measurements measurements, Func<bool> done, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancellationToken };
        while (!done())
        {
            var started = time.GetTimestamp();
            var batch = (await queue.ReceiveMessagesAsync(32, ReceiveVisibility, cancellationToken)).Value;
            measurements.RecordPoll(time.GetElapsedTime(started));
            var now = time.GetUtcNow();
            if (batch.Length == 0)
            {
                await Task.Delay(settings.PollInterval, time, cancellationToken);
                continue;
            }

            await Parallel.ForEachAsync(batch, parallel, async (message, ct) =>
            {
                var parts = message.MessageText.Split('|');
                var due = new DateTimeOffset(long.Parse(parts[1], CultureInfo.InvariantCulture), TimeSpan.Zero);
                if (now < due - Tolerance)
                {
                    measurements.RecordRedeferred();
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: WholeSecondsUntil(due), cancellationToken: ct);
                    return;
                }

                // A timer has fired once it is claimed for good: received and deleted.
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
                var fired = time.GetUtcNow();
                measurements.RecordFired(parts[0], fired - due, fired);
            });
        }
    }

    private TimeSpan WholeSecondsUntil(DateTimeOffset due) =>
        TimeSpan.FromSeconds(Math.Max(0, Math.Ceiling((due - time.GetUtcNow()).TotalSeconds)));
}
