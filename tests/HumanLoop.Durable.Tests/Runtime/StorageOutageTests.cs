using HumanLoop.Durable.Client;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Runtime;

/// <summary>Runs its own Azurite, because it takes it down.</summary>
public sealed class StorageOutageTests
{
    [Fact]
    public async Task Host_StorageStoppedAndStartedAgain_KeepsRunningAndCatchesUp()
    {
        using var timeout = TestTimeout.Start(120);
        var ct = timeout.Token;
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: ct);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(azurite.Launcher.ConnectionString, hub, cancellationToken: ct);

        // Three runs whose first node is still executing when storage goes away; their results wait for it.
        var runs = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            runs.Add(await host.Client.StartRunAsync("review", TestRuns.Input(draftDelayMs: 1500), cancellationToken: ct));
        }

        foreach (var runId in runs)
        {
            while ((await host.Executions.CountAsync(runId, ct)).GetValueOrDefault("draft") == 0)
            {
                await Task.Delay(50, ct);
            }
        }

        await azurite.Launcher.StopAsync(ct);
        await Assert.ThrowsAnyAsync<Exception>(() => host.Client.GetStatusAsync(runs[0], cancellationToken: ct));
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        await azurite.Launcher.StartAgainAsync(ct);

        var finals = new List<RunStatusInfo>();
        foreach (var runId in runs)
        {
            var request = await TestRuns.WaitForRequestAsync(host.Client, runId, ct);
            var outcome = await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:ada", cancellationToken: ct);
            Assert.Equal(ResponseStatus.Accepted, outcome.Status);
            finals.Add(await host.Client.WaitForCompletionAsync(runId, ct));
        }

        Assert.All(finals, f => Assert.Equal(RunStatus.Completed, f.RuntimeStatus));
        foreach (var runId in runs)
        {
            var events = await host.Client.GetEventsAsync(runId, cancellationToken: ct);
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "draft");
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
        }
    }
}
