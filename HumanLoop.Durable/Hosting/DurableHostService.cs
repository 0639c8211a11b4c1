using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Timers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Hosting;

/// <summary>
/// Runs this process's share of the task hub: one dispatcher per control queue, the work-item executor, the timer
/// service and the recovery sweep. Every host of a hub runs all of them; runs are shared through the queues and kept
/// consistent by ETags. Stopping stops dequeuing, then finishes or releases the work in flight.
/// </summary>
internal sealed partial class DurableHostService(
    TaskHubStorage hub,
    RunStore store,
    RunProcessor processor,
    OutboxDispatcher outbox,
    WorkItemExecutor executor,
    TimerStore timerStore,
    WorkSignals signals,
    TimeProvider time,
    IOptions<DurableHumanLoopOptions> options,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<DurableHostService>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    /// <summary>The timer service, once started.</summary>
    public TimerService? Timers { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.RunDispatchers)
        {
            return Task.CompletedTask;
        }

        outbox.LocalWork = executor;
        Timers = new TimerService(timerStore, processor, signals, time, o, loggers.CreateLogger<TimerService>());
        outbox.LocalTimers = Timers;
        var token = _stopping.Token;

        // Loops start at once and create the hub when storage answers (it may be down at start-up).
        _loops.Add(Task.Run(() => RunWhenReadyAsync(executor.ReceiveLoopAsync, token), CancellationToken.None));
        _loops.Add(Task.Run(() => RunWhenReadyAsync(Timers.RunAsync, token), CancellationToken.None));
        _loops.Add(Task.Run(() => RunWhenReadyAsync(SweepAsync, token), CancellationToken.None));
        for (int p = 0; p < hub.Names.PartitionCount; p++)
        {
            var dispatcher = new ControlQueueDispatcher(hub, processor, signals, time, o, p, loggers.CreateLogger<ControlQueueDispatcher>());
            _loops.Add(Task.Run(() => RunWhenReadyAsync(dispatcher.RunAsync, token), CancellationToken.None));
        }

        LogStarted(_logger, hub.Names.HubName, hub.Names.PartitionCount, hub.Account);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        outbox.LocalWork = null;
        outbox.LocalTimers = null;
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await executor.StopAsync(cancellationToken).ConfigureAwait(false);
        LogStopped(_logger, hub.Names.HubName);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunWhenReadyAsync(Func<CancellationToken, Task> loop, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await hub.EnsureCreatedAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogStorageUnavailable(_logger, e);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = WorkItemExecutor.Backoff(delay, TimeSpan.FromSeconds(5));
            }
        }

        await loop(stoppingToken).ConfigureAwait(false);
    }

    /// <summary>Dispatches outboxes committed by hosts that died before dispatching them: at start-up, then periodically.</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var stale = await store.FindUndispatchedAsync(time.GetUtcNow() - o.RecoveryAge, stoppingToken).ConfigureAwait(false);
                foreach (var runId in stale)
                {
                    await processor.RecoverAsync(runId, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSweepFailed(_logger, e);
            }

            try
            {
                await Task.Delay(o.RecoverySweepInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Task hub {Hub} dispatchers started ({Partitions} control queues) on {Account}")]
    private static partial void LogStarted(ILogger logger, string hub, int partitions, Storage.StorageAccountFactory account);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Information, Message = "Task hub {Hub} dispatchers stopped")]
    private static partial void LogStopped(ILogger logger, string hub);

    [LoggerMessage(EventId = 3403, Level = LogLevel.Warning, Message = "Storage is not available yet; retrying")]
    private static partial void LogStorageUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3404, Level = LogLevel.Warning, Message = "The recovery sweep failed; it will run again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
