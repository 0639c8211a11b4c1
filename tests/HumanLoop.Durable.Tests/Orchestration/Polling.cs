using HumanLoop.Durable.Client;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Orchestration;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>Polls a run's status until a condition holds; the test's timeout token is the deadline.</summary>
internal static class Polling
{
    public static async Task<RunStatusInfo> UntilAsync(IDurableRunClient client, string runId, Func<RunStatusInfo, bool> until, CancellationToken ct)
    {
        RunStatusInfo? last = null;
        try
        {
            while (true)
            {
                last = await client.GetStatusAsync(runId, new StatusOptions { ShowInput = false }, ct);
                if (last is not null && until(last))
                {
                    return last;
                }

                // A poll interval, not synchronization: the condition is re-checked against stored state.
                await Task.Delay(50, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Run '{runId}' did not reach the expected state in time; last status {last?.RuntimeStatus}, open [{string.Join(", ", last?.OpenRequests.Select(r => r.Id) ?? [])}].");
        }
    }

    public static async Task<HumanTaskRecord> TaskAsync(HumanTaskStore tasks, string runId, string requestId, Func<HumanTaskRecord, bool> until, CancellationToken ct)
    {
        HumanTaskRecord? last = null;
        try
        {
            while (true)
            {
                last = await tasks.GetAsync(runId, requestId, ct);
                if (last is not null && until(last))
                {
                    return last;
                }

                await Task.Delay(50, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Task '{requestId}' did not reach the expected state in time; last status {last?.Status.ToString() ?? "absent"}.");
        }
    }

    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> until, CancellationToken ct)
    {
        while (true)
        {
            var value = await read();
            if (until(value))
            {
                return value;
            }

            await Task.Delay(50, ct);
        }
    }

    public static async Task<RunCustomStatus> CustomStatusAsync(EngineHost host, string runId, Func<RunCustomStatus, bool> until, CancellationToken ct)
    {
        while (true)
        {
            if (await host.Engine.GetInstanceAsync(runId, ct) is { } instance && DurableRunClient.ReadCustomStatus(instance) is var status && until(status))
            {
                return status;
            }

            await Task.Delay(50, ct);
        }
    }
}
