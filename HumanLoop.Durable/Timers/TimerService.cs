using System.Collections.Concurrent;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.Runs;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Timers;

/// <summary>
/// Fires durable timers: reads the timer table every polling interval for timers due within the lookahead, holds those
/// in memory and, at their due time, applies <see cref="TimerFired"/> to the run and deletes the row. A timer row
/// outlives any process, so timers survive restarts and may be months away; several hosts may fire the same timer,
/// which the machine applies once.
/// </summary>
internal sealed partial class TimerService(
    TimerStore store,
    RunProcessor processor,
    WorkSignals signals,
    TimeProvider time,
    DurableHumanLoopOptions options,
    ILogger<TimerService> logger) : ILocalTimerSink
{
    private readonly ConcurrentDictionary<DurableTimer, ITimer> _tracked = new();
    private CancellationToken _stopping;

    /// <summary>How many timers this process has fired.</summary>
    public long Fired => Interlocked.Read(ref _fired);

    private long _fired;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow();
                foreach (var timer in await store.GetDueAsync(now + options.TimerLookahead, stoppingToken).ConfigureAwait(false))
                {
                    Track(timer, now);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogScanFailed(logger, e);
            }

            try
            {
                await signals.Timers.WaitAsync(options.TimerPollingInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        foreach (var timer in _tracked.Values)
        {
            timer.Dispose();
        }

        _tracked.Clear();
    }

    public void Track(DurableTimer timer, DateTimeOffset now)
    {
        if (timer.DueAt > now + options.TimerLookahead || _tracked.ContainsKey(timer) || _stopping.IsCancellationRequested)
        {
            return;
        }

        var delay = timer.DueAt - now;
        var local = time.CreateTimer(_ => _ = FireAsync(timer), null, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
        if (!_tracked.TryAdd(timer, local))
        {
            local.Dispose();
        }
    }

    public void Untrack(DurableTimer timer)
    {
        if (_tracked.TryRemove(timer, out var local))
        {
            local.Dispose();
        }
    }

    private async Task FireAsync(DurableTimer timer)
    {
        try
        {
            // Timers run on a monotonic clock and may fire a hair before the wall clock reaches the due time.
            var early = timer.DueAt - time.GetUtcNow();
            if (early > TimeSpan.Zero)
            {
                await Task.Delay(early + TimeSpan.FromMilliseconds(1), time, _stopping).ConfigureAwait(false);
            }

            try
            {
                await processor.ApplyAsync(timer.RunId, [new TimerFired(timer.TimerId)], _stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _fired);
            }
            catch (RunNotFoundException)
            {
                // The run was purged; the row is garbage.
            }

            await store.RemoveAsync(timer, _stopping).ConfigureAwait(false);
            if (_tracked.TryRemove(timer, out var local))
            {
                local.Dispose();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Left in the table: the next scan tracks it again and it fires (late) then.
            LogFireFailed(logger, e, timer.RunId, timer.TimerId);
            if (_tracked.TryRemove(timer, out var local))
            {
                local.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "Reading the timer table failed; retrying")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Firing timer {TimerId} of run {RunId} failed; it will fire again")]
    private static partial void LogFireFailed(ILogger logger, Exception exception, string runId, string timerId);
}
