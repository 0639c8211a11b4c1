using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.TestHost;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Runtime;

[Collection(AzuriteCollection.Name)]
public sealed class DurableRuntimeTests(AzuriteFixture azurite)
{
    private string Connection => azurite.Launcher.ConnectionString;

    [Fact]
    public async Task StartRunAsync_AnsweredThroughClient_CompletesWithTheAnswerApplied()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(host.Client, runId, timeout.Token);
        var outcome = await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:ada", cancellationToken: timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        var doc = final.Output!.Value.Deserialize(DocJson.Default.Doc)!;
        Assert.True(doc.Published);
        Assert.Equal("user:ada", doc.Reviewer);
        var events = await host.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(RunEventKind.Completed, events[^1].Kind);
    }

    [Fact]
    public async Task HostKilled_WhileRunsWaitAndExecute_RunsCompleteAfterRestartWithAnswersAppliedOnce()
    {
        using var timeout = TestTimeout.Start(120);
        var hub = AzuriteFixture.UniqueName("h");
        await using var client = await InProcessHost.StartAsync(Connection, hub, o => o.RunDispatchers = false, timeout.Token);
        var first = await ChildProcessHost.StartAsync(Connection, hub, timeout.Token);

        // One run waits for a person; another is inside a 3-second node when the host dies.
        var waiting = await client.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        await TestRuns.WaitForRequestAsync(client.Client, waiting, timeout.Token);
        var executing = await client.Client.StartRunAsync("review", TestRuns.Input(draftDelayMs: 3000), cancellationToken: timeout.Token);
        while ((await client.Executions.CountAsync(executing, timeout.Token)).GetValueOrDefault("draft") == 0)
        {
            await Task.Delay(50, timeout.Token);
        }

        await first.KillAsync();
        var outcome = await client.Client.RespondAsync(waiting, "review", TestRuns.Approve, "user:ada", cancellationToken: timeout.Token);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        await using var restarted = await ChildProcessHost.StartAsync(Connection, hub, timeout.Token);

        var done = await client.Client.WaitForCompletionAsync(waiting, timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(client.Client, executing, timeout.Token);
        var second = await client.Client.RespondAsync(executing, request.Id, TestRuns.Approve, "user:bob", cancellationToken: timeout.Token);
        Assert.True(second.Status == ResponseStatus.Accepted, second.ToString());
        var doneToo = await client.Client.WaitForCompletionAsync(executing, timeout.Token);

        Assert.Equal(RunStatus.Completed, done.RuntimeStatus);
        Assert.Equal(RunStatus.Completed, doneToo.RuntimeStatus);
        foreach (var runId in new[] { waiting, executing })
        {
            var events = await client.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "draft");
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "publish");
            Assert.True(done.Output!.Value.Deserialize(DocJson.Default.Doc)!.Published);
        }

        // The node killed mid-flight ran again on the new host (at least once); its result was applied once (above).
        var counts = await client.Executions.CountAsync(executing, timeout.Token);
        Assert.Equal(2, counts["draft"]);
        Assert.Equal(1, counts["publish"]);
        Assert.Equal(1, (await client.Executions.CountAsync(waiting, timeout.Token))["publish"]);
    }

    [Fact]
    public async Task TwoHosts_SixtyRuns_ShareTheWorkAndApplyNothingTwice()
    {
        using var timeout = TestTimeout.Start(150);
        var hub = AzuriteFixture.UniqueName("h");
        await using var a = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        await using var b = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        await using var starter = await InProcessHost.StartAsync(Connection, hub, o => o.RunDispatchers = false, timeout.Token);

        var runs = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => starter.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token)));
        await Task.WhenAll(runs.Select(async (runId, i) =>
        {
            var request = await TestRuns.WaitForRequestAsync(starter.Client, runId, timeout.Token);
            switch (i % 3)
            {
                case 0:
                    await a.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:a", messageId: "m-" + runId, cancellationToken: timeout.Token);

                    // The same answer through the other host, concurrently racing nothing but still deduplicated.
                    var again = await b.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:a", messageId: "m-" + runId, cancellationToken: timeout.Token);
                    Assert.Equal(ResponseStatus.Duplicate, again.Status);
                    break;
                case 1:
                    await b.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:b", cancellationToken: timeout.Token);
                    break;
                default:
                    await starter.Client.RaiseEventAsync(runId, "Review", TestRuns.Approve, "user:event", timeout.Token);
                    break;
            }
        }));
        var finals = await Task.WhenAll(runs.Select(r => starter.Client.WaitForCompletionAsync(r, timeout.Token)));

        Assert.All(finals, f => Assert.Equal(RunStatus.Completed, f.RuntimeStatus));
        foreach (var runId in runs)
        {
            var events = await starter.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "draft");
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "publish");
            Assert.Single(events, e => e.Kind == RunEventKind.Completed);
            var counts = await starter.Executions.CountAsync(runId, timeout.Token);
            Assert.Equal(1, counts["draft"]);
            Assert.Equal(1, counts["publish"]);
        }

        long byA = a.Services.GetRequiredService<WorkItemExecutor>().Executions;
        long byB = b.Services.GetRequiredService<WorkItemExecutor>().Executions;
        Assert.Equal(120, byA + byB);
        Assert.True(byA > 0 && byB > 0, $"Both hosts should execute nodes (a: {byA}, b: {byB}).");
    }

    [Fact]
    public async Task RaiseEventAsync_BeforeTheRequestOpens_IsKeptAndDelivered()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(draftDelayMs: 1500), cancellationToken: timeout.Token);
        await host.Client.RaiseEventAsync(runId, "REVIEW", TestRuns.Approve, "user:early", timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        Assert.Equal("user:early", final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Reviewer);
    }

    [Fact]
    public async Task RaiseEventAsync_UnknownOrFinishedRun_Throws()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        await Assert.ThrowsAsync<RunNotFoundException>(() => host.Client.RaiseEventAsync("no-such-run", "review", TestRuns.Approve, cancellationToken: timeout.Token));
        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        Assert.True(await host.Client.TerminateAsync(runId, "not needed", timeout.Token));
        var finished = await Assert.ThrowsAsync<RunFinishedException>(() => host.Client.RaiseEventAsync(runId, "review", TestRuns.Approve, cancellationToken: timeout.Token));
        Assert.Equal(RunStatus.Terminated, finished.Status);
        Assert.False(await host.Client.TerminateAsync(runId, "again", timeout.Token));
        await Assert.ThrowsAsync<RunNotFoundException>(() => host.Client.RespondAsync("no-such-run", "review", TestRuns.Approve, "user:x", cancellationToken: timeout.Token));
    }

    [Fact]
    public async Task PoisonControlMessage_IsMovedToThePoisonQueue_AndTheRunFailsWithTheReason()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, o => o.StorageProvider.MaxDequeueCount = 2, timeout.Token);
        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        await TestRuns.WaitForRequestAsync(host.Client, runId, timeout.Token);

        var storage = host.Services.GetRequiredService<Hosting.TaskHubStorage>();
        await storage.ControlQueueFor(runId).SendMessageAsync("{\"runId\":\"" + runId + "\",\"message\":{\"$type\":\"noSuchMessage\"}}", timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(RunStatus.Failed, final.RuntimeStatus);
        Assert.Contains("poison", final.Error, StringComparison.OrdinalIgnoreCase);
        var poisoned = (await storage.Poison.PeekMessagesAsync(32, timeout.Token)).Value;
        Assert.Contains(poisoned, m => m.Body.ToString().Contains(runId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DurableTimer_Deadline_FiresWithinOneSecondOfDue()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        var runId = await host.Client.StartRunAsync("timed", TestRuns.Input(), cancellationToken: timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        var events = await host.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
        var opened = events.Single(e => e.Kind == RunEventKind.HumanInputRequested);
        var timedOut = events.Single(e => e.Kind == RunEventKind.TimedOut);
        var lateness = timedOut.At - (opened.At + TimeSpan.FromSeconds(1.5));
        Assert.InRange(lateness, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.False(final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Approved);
    }

    [Fact]
    public async Task StartRunAsync_ExistingId_IsRefusedUnlessDeduped()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        var id = await host.Client.StartRunAsync("review", TestRuns.Input(), new StartRunOptions { RunId = "order-42" }, timeout.Token);
        await Assert.ThrowsAsync<RunAlreadyExistsException>(() => host.Client.StartRunAsync("review", TestRuns.Input(), new StartRunOptions { RunId = "order-42" }, timeout.Token));
        var again = await host.Client.StartRunAsync("review", TestRuns.Input(), new StartRunOptions { RunId = "order-42", DedupeExisting = true }, timeout.Token);
        await Assert.ThrowsAsync<UnknownGraphException>(() => host.Client.StartRunAsync("nope", TestRuns.Input(), cancellationToken: timeout.Token));

        Assert.Equal("order-42", id);
        Assert.Equal(id, again);
    }

    [Fact]
    public async Task QueryPurgeAndEvents_PageFilterAndDeleteLikeDurableFunctions()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(await host.Client.StartRunAsync("review", TestRuns.Input(), new StartRunOptions { RunId = $"batch-{i}" }, timeout.Token));
        }

        await host.Client.StartRunAsync("review", TestRuns.Input(), new StartRunOptions { RunId = "other-1" }, timeout.Token);
        await host.Client.TerminateAsync("batch-0", "cancelled by test", timeout.Token);

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await host.Client.QueryAsync(new RunQuery { InstanceIdPrefix = "batch-", PageSize = 2, ContinuationToken = token }, timeout.Token);
            seen.AddRange(page.Runs.Select(r => r.InstanceId));
            token = page.ContinuationToken;
        }
        while (token is not null);
        var terminated = await host.Client.QueryAsync(new RunQuery { Statuses = [RunStatus.Terminated] }, timeout.Token);

        Assert.Equal(ids, seen);
        Assert.Equal("batch-0", Assert.Single(terminated.Runs).InstanceId);
        Assert.Equal("cancelled by test", terminated.Runs[0].Error);

        var all = await host.Client.GetEventsAsync("batch-0", cancellationToken: timeout.Token);
        var later = await host.Client.GetEventsAsync("batch-0", afterSequence: 2, cancellationToken: timeout.Token);
        Assert.Equal(all.Skip(2).Select(e => e.Sequence), later.Select(e => e.Sequence));
        var withHistory = await host.Client.GetStatusAsync("batch-0", new StatusOptions { ShowHistory = true }, timeout.Token);
        Assert.Equal(all.Count, withHistory!.History!.Count);

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.PurgeAsync("batch-1", timeout.Token));
        Assert.True(await host.Client.PurgeAsync("batch-0", timeout.Token));
        Assert.Null(await host.Client.GetStatusAsync("batch-0", cancellationToken: timeout.Token));
        Assert.Empty(await host.Client.GetEventsAsync("batch-0", cancellationToken: timeout.Token));
        Assert.False(await host.Client.PurgeAsync("batch-0", timeout.Token));
    }

    [Fact]
    public async Task RespondAsync_ReturnsTheRealOutcome_ForInvalidRepeatedAndLargeAnswers()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var host = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);

        // 400,000 characters of state: beyond a table property and a queue message, so it goes to blobs.
        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(padding: new string('x', 400_000)), cancellationToken: timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(host.Client, runId, timeout.Token);
        var invalid = await host.Client.RespondAsync(runId, request.Id, JsonDocument.Parse("42").RootElement, "user:ada", cancellationToken: timeout.Token);
        var accepted = await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:ada", cancellationToken: timeout.Token);
        var late = await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:bob", cancellationToken: timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(ResponseStatus.Rejected, invalid.Status);
        Assert.False(string.IsNullOrEmpty(invalid.Message));
        Assert.Equal(ResponseStatus.Accepted, accepted.Status);
        Assert.Equal(ResponseStatus.AlreadyAnswered, late.Status);
        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        Assert.Equal(400_000, final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Padding!.Length);
    }
}
