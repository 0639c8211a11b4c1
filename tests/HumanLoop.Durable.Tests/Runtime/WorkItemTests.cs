using System.Text.Json;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TestHost;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Runtime;

/// <summary>
/// Node executions: nodes a host commits run there with no queue message, vouched for by the run row's outbox entry;
/// long ones are handed to the work-item queue; stopping hands them over at once; poisoned work items fail the run.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkItemTests(AzuriteFixture azurite)
{
    private string Connection => azurite.Launcher.ConnectionString;

    [Fact]
    public async Task Workflow_NodesStartedByTheCommittingHost_SendAndDeleteNoWorkItemMessages()
    {
        using var timeout = TestTimeout.Start(60);
        var counter = new StorageTransactionCounter();
        await using var host = await InProcessHost.StartAsync(Connection, AzuriteFixture.UniqueName("h"), o => o.StorageClientSettings = new StorageClientSettings { PerCallPolicy = counter }, timeout.Token);
        var runId = await host.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(host.Client, runId, timeout.Token);
        var before = counter.Snapshot();

        await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:ada", cancellationToken: timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);
        var spent = counter.Snapshot().Since(before);

        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        Assert.Equal(1, (await host.Executions.CountAsync(runId, timeout.Token))["publish"]);

        // From the answer to the end: one human-task notice ("closed") and no work item sent, received or deleted.
        Assert.Equal(1, spent.Get(StorageService.Queue, "POST"));
        Assert.Equal(0, spent.Get(StorageService.Queue, "DELETE"));
        Assert.Equal(0, spent.Get(StorageService.Queue, "PUT"));
        var storage = host.Services.GetRequiredService<TaskHubStorage>();
        Assert.Equal(0, (await storage.WorkItems.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task RespondAsync_NextNodeBlocksItsThread_ReturnsWithoutWaitingForTheNode()
    {
        using var timeout = TestTimeout.Start(60);
        await using var host = await InProcessHost.StartAsync(Connection, AzuriteFixture.UniqueName("h"), cancellationToken: timeout.Token);
        var runId = await host.Client.StartRunAsync("gated", TestRuns.Input(), cancellationToken: timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(host.Client, runId, timeout.Token);

        // The answer's commit starts 'publish' in this process; that node holds its thread until the gate opens.
        var outcome = await host.Client.RespondAsync(runId, request.Id, TestRuns.Approve, "user:ada", cancellationToken: timeout.Token);
        await NodeGates.WaitUntilBlockedAsync(runId, timeout.Token);
        var running = await host.Client.GetStatusAsync(runId, cancellationToken: timeout.Token);
        NodeGates.Open(runId);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        Assert.Equal(RunStatus.Running, running!.RuntimeStatus);
        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        Assert.True(final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Published);
    }

    [Fact]
    public async Task LongNode_StartedByTheCommittingHost_IsHandedToTheQueueBeforeTheRecoveryAgeAndRunsOnce()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");

        // The test hosts' recovery age is 3 s and their sweep runs every 2 s: without the hand-off, host b would take
        // the 6-second node's outbox entry for abandoned work and run it again.
        await using var a = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        await using var b = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        var runId = await a.Client.StartRunAsync("review", TestRuns.Input(draftDelayMs: 6000), cancellationToken: timeout.Token);
        var storage = a.Services.GetRequiredService<TaskHubStorage>();
        var store = a.Services.GetRequiredService<RunStore>();

        // Half the recovery age in, the node's entry leaves the run row and an invisible message vouches for it.
        while (true)
        {
            var record = await store.LoadAsync(runId, timeout.Token);
            if (!record!.Outbox.Any(e => e.Effect is RunNode))
            {
                break;
            }

            await Task.Delay(100, timeout.Token);
        }

        Assert.Equal(1, (await storage.WorkItems.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount);
        Assert.Empty((await storage.WorkItems.PeekMessagesAsync(32, timeout.Token)).Value);

        var request = await TestRuns.WaitForRequestAsync(a.Client, runId, timeout.Token);

        Assert.Equal("review", request.Node);
        Assert.Equal(1, (await a.Executions.CountAsync(runId, timeout.Token))["draft"]);
        Assert.Equal(1, a.Services.GetRequiredService<Dispatching.WorkItemExecutor>().Executions);
        Assert.Equal(0, b.Services.GetRequiredService<Dispatching.WorkItemExecutor>().Executions);

        // The message goes once the result is committed (just after the request became visible).
        while ((await storage.WorkItems.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task HostStopping_DuringANodeItStarted_HandsTheNodeToAnotherHostAtOnce()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");

        // A recovery age of a minute rules the sweep out: only the hand-off on stopping can move the node in time.
        void Configure(HumanLoop.Durable.DependencyInjection.DurableHumanLoopOptions o)
        {
            o.RecoveryAge = TimeSpan.FromMinutes(1);
            o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(200);
        }

        var a = await InProcessHost.StartAsync(Connection, hub, Configure, timeout.Token);
        await using var b = await InProcessHost.StartAsync(Connection, hub, Configure, timeout.Token);
        var runId = await a.Client.StartRunAsync("review", TestRuns.Input(draftDelayMs: 3000), cancellationToken: timeout.Token);
        while ((await b.Executions.CountAsync(runId, timeout.Token)).GetValueOrDefault("draft") == 0)
        {
            await Task.Delay(50, timeout.Token);
        }

        var stopping = Task.Run(async () => await a.DisposeAsync(), timeout.Token);
        var request = await TestRuns.WaitForRequestAsync(b.Client, runId, timeout.Token);
        await stopping;

        Assert.Equal("review", request.Node);
        Assert.Equal(2, (await b.Executions.CountAsync(runId, timeout.Token))["draft"]);
        var events = await b.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
        Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "draft");
        Assert.DoesNotContain(events, e => e.Kind == RunEventKind.NodeFailed);
        var record = await b.Services.GetRequiredService<RunStore>().LoadAsync(runId, timeout.Token);
        Assert.DoesNotContain(record!.Outbox, e => e.Effect is RunNode);
    }

    [Fact]
    public async Task PoisonWorkItem_IsMovedToThePoisonQueue_AndTheRunFailsWithTheReason()
    {
        using var timeout = TestTimeout.Start(90);
        var hub = AzuriteFixture.UniqueName("h");

        // A host without dispatchers queues the draft node's work item; the test swaps it for one whose state blob
        // does not exist, so every attempt to run it fails before the node starts.
        await using var starter = await InProcessHost.StartAsync(Connection, hub, o => o.RunDispatchers = false, timeout.Token);
        var runId = await starter.Client.StartRunAsync("review", TestRuns.Input(), cancellationToken: timeout.Token);
        var storage = starter.Services.GetRequiredService<TaskHubStorage>();
        var store = starter.Services.GetRequiredService<RunStore>();
        var queued = (await storage.WorkItems.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1), timeout.Token)).Value.Single();
        var item = JsonSerializer.Deserialize(queued.Body.ToString(), DurableJsonContext.Default.WorkItem)!;
        await storage.WorkItems.SendMessageAsync(JsonSerializer.Serialize(item with { State = null, StateRef = "blob:" + runId + "/missing" }, DurableJsonContext.Default.WorkItem), timeout.Token);
        await storage.WorkItems.DeleteMessageAsync(queued.MessageId, queued.PopReceipt, timeout.Token);
        while ((await store.LoadAsync(runId, timeout.Token))!.Outbox.Count > 0)
        {
            await Task.Delay(100, timeout.Token);
        }

        await using var host = await InProcessHost.StartAsync(
            Connection,
            hub,
            o =>
            {
                o.StorageProvider.MaxDequeueCount = 2;
                o.StorageProvider.WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(1);
            },
            timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(RunStatus.Failed, final.RuntimeStatus);
        Assert.Contains("'draft'", final.Error, StringComparison.Ordinal);
        Assert.Contains(storage.Names.PoisonQueue, final.Error, StringComparison.Ordinal);
        Assert.Equal(0, host.Services.GetRequiredService<Dispatching.WorkItemExecutor>().Executions);
        var poisoned = (await storage.Poison.PeekMessagesAsync(32, timeout.Token)).Value;
        Assert.Contains(poisoned, m => m.Body.ToString().Contains(item.TaskId, StringComparison.Ordinal));
        Assert.Equal(0, (await storage.WorkItems.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task WideFanOut_MoreEventsThanOneTransactionHolds_AreStoredGaplessAndEachBranchRunsOnce()
    {
        using var timeout = TestTimeout.Start(90);
        await using var host = await InProcessHost.StartAsync(Connection, AzuriteFixture.UniqueName("h"), o => o.MaxConcurrentNodes = 16, timeout.Token);

        var runId = await host.Client.StartRunAsync("wide", TestRuns.Input(), cancellationToken: timeout.Token);
        var final = await host.Client.WaitForCompletionAsync(runId, timeout.Token);

        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        Assert.True(final.Output!.Value.Deserialize(DocJson.Default.Doc)!.Published);
        var events = await host.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(TestGraphs.WideBranches + 2, events.Count(e => e.Kind == RunEventKind.NodeCompleted));
        Assert.Equal(RunEventKind.Completed, events[^1].Kind);

        // Read from the middle of the fan-out's events: the page starts right after the given sequence number.
        var page = await host.Client.GetEventsAsync(runId, afterSequence: 50, maxCount: 10, cancellationToken: timeout.Token);
        Assert.Equal(Enumerable.Range(51, 10).Select(i => (long)i), page.Select(e => e.Sequence));

        var counts = await host.Executions.CountAsync(runId, timeout.Token);
        Assert.Equal(TestGraphs.WideBranches + 2, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(1, c));
    }

    [Fact]
    public async Task DurableTimers_TwoHostsSharingAHub_FireEveryDeadlineOnceAndOnTime()
    {
        using var timeout = TestTimeout.Start(60);
        var hub = AzuriteFixture.UniqueName("h");
        await using var a = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        await using var b = await InProcessHost.StartAsync(Connection, hub, cancellationToken: timeout.Token);
        await using var starter = await InProcessHost.StartAsync(Connection, hub, o => o.RunDispatchers = false, timeout.Token);

        var runs = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => starter.Client.StartRunAsync("timed", TestRuns.Input(), cancellationToken: timeout.Token)));
        var finals = await Task.WhenAll(runs.Select(r => starter.Client.WaitForCompletionAsync(r, timeout.Token)));

        Assert.All(finals, f => Assert.Equal(RunStatus.Completed, f.RuntimeStatus));
        foreach (var runId in runs)
        {
            var events = await starter.Client.GetEventsAsync(runId, cancellationToken: timeout.Token);
            var opened = events.Single(e => e.Kind == RunEventKind.HumanInputRequested);
            var timedOut = Assert.Single(events, e => e.Kind == RunEventKind.TimedOut);
            Assert.InRange(timedOut.At - (opened.At + TimeSpan.FromSeconds(1.5)), TimeSpan.Zero, TimeSpan.FromSeconds(1));
            Assert.Single(events, e => e.Kind == RunEventKind.Completed);
        }

        Assert.Empty(await starter.Services.GetRequiredService<Timers.TimerStore>().GetDueAsync(DateTimeOffset.MaxValue, timeout.Token));
    }
}
