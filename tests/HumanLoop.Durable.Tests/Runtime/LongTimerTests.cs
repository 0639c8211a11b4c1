using System.Text.Json;
using HumanLoop.Durable.TestHost;
using HumanLoop.Durable.Timers;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Durable.Tests.Runtime;

/// <summary>Durable timers months away, on a host whose clock is a <see cref="FakeTimeProvider"/> the test drives.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LongTimerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Timers_MonthsAway_SurviveARestartAndFireAtTheirDueTimes()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        string runId;
        DateTimeOffset opened;
        await using (var first = await InProcessHost.StartAsync(azurite.Launcher.ConnectionString, hub, configure: null, clock, timeout.Token))
        {
            runId = await first.Client.StartRunAsync("quarterly", TestRuns.Input(), cancellationToken: timeout.Token);
            opened = (await TestRuns.WaitForRequestAsync(first.Client, runId, timeout.Token)).OpenedAt;

            var rows = await first.Services.GetRequiredService<TimerStore>().GetDueAsync(opened + TimeSpan.FromDays(365), timeout.Token);
            Assert.Equal(
                new[] { 30, 60, 90 }.Select(d => opened + TimeSpan.FromDays(d)),
                rows.Where(t => t.RunId == runId).Select(t => t.DueAt).Order());
        }

        // A new host (the old one is gone), then a month and a bit: the first reminder, and nothing else yet.
        await using var second = await InProcessHost.StartAsync(azurite.Launcher.ConnectionString, hub, configure: null, clock, timeout.Token);
        var reminder = await AdvanceUntilAsync(clock, second, runId, opened + TimeSpan.FromDays(30), RunEventKind.ReminderDue, timeout.Token);
        Assert.InRange(reminder.At - (opened + TimeSpan.FromDays(30)), TimeSpan.Zero, TimeSpan.FromMinutes(1));
        var status = await second.Client.GetStatusAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(RunStatus.Running, status!.RuntimeStatus);
        Assert.Single(status.OpenRequests);

        var timedOut = await AdvanceUntilAsync(clock, second, runId, opened + TimeSpan.FromDays(90), RunEventKind.TimedOut, timeout.Token);
        Assert.InRange(timedOut.At - (opened + TimeSpan.FromDays(90)), TimeSpan.Zero, TimeSpan.FromMinutes(1));

        var events = await second.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(2, events.Count(e => e.Kind == RunEventKind.ReminderDue));
        Assert.Single(events, e => e.Kind == RunEventKind.TimedOut);
        Assert.Equal(RunEventKind.Completed, events[^1].Kind);
        var final = await second.Client.GetStatusAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(RunStatus.Completed, final!.RuntimeStatus);
        Assert.False(final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Approved);
        Assert.DoesNotContain(await second.Services.GetRequiredService<TimerStore>().GetDueAsync(DateTimeOffset.MaxValue, timeout.Token), t => t.RunId == runId);
    }

    /// <summary>Moves the clock to <paramref name="due"/>, then a second at a time until the run records <paramref name="kind"/>.</summary>
    private static async Task<RunEvent> AdvanceUntilAsync(FakeTimeProvider clock, InProcessHost host, string runId, DateTimeOffset due, RunEventKind kind, CancellationToken cancellationToken)
    {
        int seen = (await host.Client.GetEventsAsync(runId, cancellationToken: cancellationToken)).Count(e => e.Kind == kind);
        clock.SetUtcNow(due);
        while (true)
        {
            var found = (await host.Client.GetEventsAsync(runId, cancellationToken: cancellationToken)).Where(e => e.Kind == kind).ToList();
            if (found.Count > seen)
            {
                return found[^1];
            }

            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, cancellationToken);
        }
    }
}
