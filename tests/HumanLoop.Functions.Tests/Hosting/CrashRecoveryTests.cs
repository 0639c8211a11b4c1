using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Hosting;

/// <summary>
/// The self-hosted app killed with SIGKILL (no shutdown at all) while a run waits and again right after its answer is
/// raised, then started again on the same hub: the run finishes with the answer applied once and every node once.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CrashRecoveryTests(HumanLoopAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_KilledWhileWaitingAndAgainRightAfterTheAnswer_RestartFinishesTheRunWithEverythingAppliedOnce()
    {
        using var timeout = TestTimeout.Start(240);
        var ct = timeout.Token;
        var environment = AppProcess.OnHub(app.ConnectionString, "FnCrash" + Guid.NewGuid().ToString("N")[..12]);
        var port = AppProcess.FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        string id;
        await using (var first = await RunningAsync(port, environment, client, ct))
        {
            id = await client.StartTravelAsync(ct, destination: "Oslo");
            await client.WaitForOpenRequestAsync(id, ct);
            await first.KillAsync(ct);
        }

        await using (var second = await RunningAsync(port, environment, client, ct))
        {
            // The request survived the crash; the answer is raised and the host dies before it can apply it.
            var requestId = await client.WaitForOpenRequestAsync(id, ct);
            using var raised = await client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"drive\""), ct);
            Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
            await second.KillAsync(ct);
        }

        await using var third = await RunningAsync(port, environment, client, ct);
        var final = await client.WaitForFinishedAsync(id, ct);
        Assert.Equal("Completed", final.GetProperty("runtimeStatus").GetString());
        Assert.Equal("drive", final.GetProperty("output").GetProperty("mode").GetString());

        var (_, withHistory) = await client.GetStatusAsync(id, ct, "?showHistory=true");
        var events = withHistory.GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Single(events, e => e.GetProperty("eventType").GetString() == "InputAccepted");
        var completedNodes = events.Where(e => e.GetProperty("eventType").GetString() == "NodeCompleted").Select(e => e.GetProperty("node").GetString()).ToList();
        Assert.Equal(completedNodes.Distinct().Count(), completedNodes.Count);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.GetProperty("sequence").GetInt64()));
    }

    private Task<RunningApp> RunningAsync(int port, Dictionary<string, string> environment, HttpClient client, CancellationToken ct) =>
        RunningApp.StartAsync(port, environment, client, output, ct);
}
