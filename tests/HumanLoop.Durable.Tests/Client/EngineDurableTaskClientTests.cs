using System.Diagnostics;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using HumanLoop.Durable.Client;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace HumanLoop.Durable.Tests.Client;

/// <summary>
/// <see cref="EngineDurableTaskClient"/> against the real engine: a <see cref="TaskHubWorker"/> on an
/// <see cref="AzureStorageOrchestrationService"/> in Azurite, one task hub per test.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class EngineDurableTaskClientTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const string Echo = "echo";
    private const string WaitForGo = "wait-for-go";
    private const string TwoEvents = "two-events";

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_ThenWaitForCompletion_ReturnsTheOutput()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);

        var options = new StartOrchestrationOptions { Tags = new Dictionary<string, string> { ["graph"] = "travel" } };
        var stopwatch = Stopwatch.StartNew();
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "ada", options, ct);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);
        output.WriteLine($"Scheduled to seen completed: {stopwatch.Elapsed.TotalMilliseconds:0} ms");

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, done.InstanceId);
        Assert.Equal(Echo, done.Name);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("hello ada", done.ReadOutputAs<string>());
        Assert.Equal("ada", done.ReadInputAs<string>());
        Assert.Equal(new Dictionary<string, string> { ["graph"] = "travel" }, done.Tags);
        Assert.True(done.CreatedAt <= done.LastUpdatedAt);
        Assert.Null(done.FailureDetails);
    }

    [Fact]
    public async Task GetInstanceAsync_InputsAndOutputs_ReturnedOnlyWhenAsked()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "grace", ct);
        await hub.Client.WaitForInstanceCompletionAsync(id, ct);

        var without = await hub.Client.GetInstanceAsync(id, ct);
        var with = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);

        Assert.NotNull(without);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, without.RuntimeStatus);
        Assert.Null(without.SerializedInput);
        Assert.Null(without.SerializedOutput);
        Assert.Throws<InvalidOperationException>(() => without.ReadOutputAs<string>());
        Assert.NotNull(with);
        Assert.Equal("\"grace\"", with.SerializedInput);
        Assert.Equal("hello grace", with.ReadOutputAs<string>());
        Assert.Null(await hub.Client.GetInstanceAsync("no-such-instance", ct));
    }

    [Fact]
    public async Task RaiseEventAsync_BeforeTheOrchestratorWaits_IsDelivered()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(TwoEvents, cancellation: ct);

        // "second" is raised before the instance has even started, and the orchestrator only asks for it after "first".
        await hub.Client.RaiseEventAsync(id, "second", 2, ct);
        await hub.Client.WaitForInstanceStartAsync(id, ct);
        await hub.Client.RaiseEventAsync(id, "first", 1, ct);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("1,2", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task TerminateInstanceAsync_RunningInstance_EndsTerminatedWithTheReasonAsOutput()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, cancellation: ct);
        await hub.Client.WaitForInstanceStartAsync(id, ct);

        await hub.Client.TerminateInstanceAsync(id, new TerminateInstanceOptions("no longer needed"), ct);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("no longer needed", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task SuspendInstanceAsync_ThenResume_HoldsTheEventUntilResumed()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, cancellation: ct);
        await hub.Client.WaitForInstanceStartAsync(id, ct);

        await hub.Client.SuspendInstanceAsync(id, "lunch", ct);
        var suspended = await WaitForStatusAsync(hub.Client, id, OrchestrationRuntimeStatus.Suspended, ct);
        await hub.Client.RaiseEventAsync(id, "go", "after lunch", ct);

        // An absence can only be shown over time: the event is processed within a few 100 ms polls, and the
        // instance must still not finish.
        using (var briefly = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            briefly.CancelAfter(TimeSpan.FromSeconds(1.5));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hub.Client.WaitForInstanceCompletionAsync(id, cancellation: briefly.Token));
        }

        var stillSuspended = await hub.Client.GetInstanceAsync(id, ct);
        await hub.Client.ResumeInstanceAsync(id, "back", ct);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, stillSuspended?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("got after lunch", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task GetAllInstancesAsync_ByStatusAndPrefixInPagesOfTwo_ListsAllFiveAndTheContinuationTokenRoundTrips()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var batch = Enumerable.Range(0, 5).Select(i => $"batch-{i}").ToList();
        foreach (var id in batch)
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, id, new StartOrchestrationOptions(id), ct);
        }

        var waiting = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, null, new StartOrchestrationOptions("other-0"), ct);
        foreach (var id in batch)
        {
            await hub.Client.WaitForInstanceCompletionAsync(id, ct);
        }

        await hub.Client.WaitForInstanceStartAsync(waiting, ct);

        var filter = new OrchestrationQuery { InstanceIdPrefix = "batch-", Statuses = [OrchestrationRuntimeStatus.Completed], PageSize = 2, FetchInputsAndOutputs = true };
        var stopwatch = Stopwatch.StartNew();
        var pages = new List<Page<OrchestrationMetadata>>();
        await foreach (var page in hub.Client.GetAllInstancesAsync(filter).AsPages().WithCancellation(ct))
        {
            pages.Add(page);
        }

        var pagedTime = stopwatch.Elapsed;
        stopwatch.Restart();
        var resumed = await FirstPageAsync(hub.Client.GetAllInstancesAsync(filter with { ContinuationToken = pages[0].ContinuationToken }), ct);
        var running = await ToListAsync(hub.Client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Running] }), ct);
        var everything = await ToListAsync(hub.Client.GetAllInstancesAsync(), ct);
        output.WriteLine($"Paged query (3 pages): {pagedTime.TotalMilliseconds:0} ms; resumed page, status query and full listing: {stopwatch.Elapsed.TotalMilliseconds:0} ms");

        var listed = pages.SelectMany(page => page.Values).ToList();
        Assert.Equal([2, 2, 1], pages.Select(page => page.Values.Count));
        Assert.NotNull(pages[0].ContinuationToken);
        Assert.NotNull(pages[1].ContinuationToken);
        Assert.Null(pages[2].ContinuationToken);
        Assert.Equal(batch, listed.Select(instance => instance.InstanceId).Order());
        Assert.All(listed, instance => Assert.Equal("hello " + instance.InstanceId, instance.ReadOutputAs<string>()));
        Assert.Equal(pages[1].Values.Select(instance => instance.InstanceId), resumed.Values.Select(instance => instance.InstanceId));
        Assert.Equal(["other-0"], running.Select(instance => instance.InstanceId));
        Assert.Throws<InvalidOperationException>(() => running[0].ReadInputAs<string>());
        Assert.Equal(6, everything.Count);
    }

    [Fact]
    public async Task PurgeInstanceAsync_RunningThenFinished_RefusesThenPurges()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, cancellation: ct);
        await hub.Client.WaitForInstanceStartAsync(id, ct);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => hub.Client.PurgeInstanceAsync(id, cancellation: ct));
        await hub.Client.RaiseEventAsync(id, "go", "now", ct);
        await hub.Client.WaitForInstanceCompletionAsync(id, ct);
        var purged = await hub.Client.PurgeInstanceAsync(id, cancellation: ct);

        Assert.Equal($"Orchestration instance '{id}' is Running; only a completed, failed or terminated instance can be purged.", refused.Message);
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await hub.Client.GetInstanceAsync(id, ct));
    }

    [Fact]
    public async Task PurgeInstanceAsync_UnknownId_PurgesNothing()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);

        var result = await hub.Client.PurgeInstanceAsync("never-started", cancellation: ct);

        Assert.Equal(0, result.PurgedInstanceCount);
    }

    [Fact]
    public async Task PurgeAllInstancesAsync_NoStatuses_PurgesOnlyTheFinishedInstances()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var finished = new[] { "done-a", "done-b" };
        foreach (var id in finished)
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, id, new StartOrchestrationOptions(id), ct);
        }

        var running = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, cancellation: ct);
        foreach (var id in finished)
        {
            await hub.Client.WaitForInstanceCompletionAsync(id, ct);
        }

        await hub.Client.WaitForInstanceStartAsync(running, ct);

        await Assert.ThrowsAsync<ArgumentException>(() => hub.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Running]), ct));
        var result = await hub.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(), ct);

        Assert.Equal(2, result.PurgedInstanceCount);
        Assert.Null(await hub.Client.GetInstanceAsync("done-a", ct));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await hub.Client.GetInstanceAsync(running, ct))?.RuntimeStatus);
    }

    [Fact]
    public async Task WaitForInstanceStartAsync_StartInTheFuture_ReturnsOnceRunningAtTheStartTime()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var startAt = TimeProvider.System.GetUtcNow().AddSeconds(2.5);

        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, null, new StartOrchestrationOptions(StartAt: startAt), ct);
        var pending = await hub.Client.GetInstanceAsync(id, ct);
        var started = await hub.Client.WaitForInstanceStartAsync(id, ct);
        var startedSeenAt = TimeProvider.System.GetUtcNow();

        Assert.Equal(OrchestrationRuntimeStatus.Pending, pending?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Running, started.RuntimeStatus);
        // AzureStorage delays the start message by (start time - now) in whole seconds, truncated: up to 1 s early.
        Assert.True(startedSeenAt >= startAt.AddSeconds(-1), $"Seen running at {startedSeenAt:O}, over a second before its start time {startAt:O}.");
        await Assert.ThrowsAsync<InvalidOperationException>(() => hub.Client.WaitForInstanceStartAsync("no-such-instance", ct));
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_IdOfARunningInstance_ThrowsAndLeavesItRunning()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, "first", new StartOrchestrationOptions("same-id"), ct);
        await hub.Client.WaitForInstanceStartAsync(id, ct);

        var refused = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(
            () => hub.Client.ScheduleNewOrchestrationInstanceAsync(WaitForGo, "second", new StartOrchestrationOptions("same-id"), ct));
        await hub.Client.RaiseEventAsync(id, "go", "once", ct);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.Contains("'same-id' already exists with status Running", refused.Message, StringComparison.Ordinal);
        Assert.Equal("first", done.ReadInputAs<string>());
        Assert.Equal("got once", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_IdOfACompletedInstance_RunsItAgainWithTheNewInput()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "first", new StartOrchestrationOptions("again"), ct);
        var first = await hub.Client.WaitForInstanceCompletionAsync("again", getInputsAndOutputs: true, ct);

        await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "second", new StartOrchestrationOptions("again"), ct);
        var second = await hub.Client.WaitForInstanceCompletionAsync("again", getInputsAndOutputs: true, ct);

        Assert.Equal("hello first", first.ReadOutputAs<string>());
        Assert.Equal("hello second", second.ReadOutputAs<string>());
        Assert.True(second.CreatedAt > first.CreatedAt, "The second run is a new execution.");
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_CompletedIdWithCompletedAsDedupeStatus_Throws()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, ct);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "first", new StartOrchestrationOptions("once"), ct);
        await hub.Client.WaitForInstanceCompletionAsync("once", ct);
        var dedupe = new StartOrchestrationOptions("once") { DedupeStatuses = ["completed"] };

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "second", dedupe, ct));
        var invalid = await Assert.ThrowsAsync<ArgumentException>(
            () => hub.Client.ScheduleNewOrchestrationInstanceAsync(Echo, "third", new StartOrchestrationOptions("once") { DedupeStatuses = ["Finished"] }, ct));
        var still = await hub.Client.GetInstanceAsync("once", getInputsAndOutputs: true, ct);

        Assert.StartsWith("'Finished' is not an orchestration runtime status", invalid.Message, StringComparison.Ordinal);
        Assert.Equal("hello first", still?.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Entities_Always_ThrowsNotSupported()
    {
        using var timeout = TestTimeout.Start(60);
        await using var hub = await EngineHub.StartAsync(azurite.Launcher.ConnectionString, timeout.Token);

        var error = Assert.Throws<NotSupportedException>(() => hub.Client.Entities);

        Assert.Contains("entities are not supported", error.Message, StringComparison.Ordinal);
    }

    private static async Task<OrchestrationMetadata> WaitForStatusAsync(DurableTaskClient client, string id, OrchestrationRuntimeStatus status, CancellationToken ct)
    {
        // The client has no wait for an arbitrary status; poll as its own waits do.
        while (true)
        {
            var instance = await client.GetInstanceAsync(id, ct);
            if (instance?.RuntimeStatus == status)
            {
                return instance;
            }

            await Task.Delay(25, ct);
        }
    }

    private static async Task<Page<OrchestrationMetadata>> FirstPageAsync(AsyncPageable<OrchestrationMetadata> pageable, CancellationToken ct)
    {
        await foreach (var page in pageable.AsPages().WithCancellation(ct))
        {
            return page;
        }

        throw new InvalidOperationException("The query returned no page.");
    }

    private static async Task<List<OrchestrationMetadata>> ToListAsync(AsyncPageable<OrchestrationMetadata> pageable, CancellationToken ct)
    {
        var list = new List<OrchestrationMetadata>();
        await foreach (var instance in pageable.WithCancellation(ct))
        {
            list.Add(instance);
        }

        return list;
    }

    /// <summary>A task hub of its own in Azurite, a worker hosting the test orchestrators, and the client under test.</summary>
    private sealed class EngineHub : IAsyncDisposable
    {
        private readonly TaskHubWorker _worker;

        private EngineHub(TaskHubWorker worker, EngineDurableTaskClient client)
        {
            _worker = worker;
            Client = client;
        }

        public EngineDurableTaskClient Client { get; }

        public static async Task<EngineHub> StartAsync(string connectionString, CancellationToken ct)
        {
            var loggers = NullLoggerFactory.Instance;
            var settings = new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = "client" + Guid.NewGuid().ToString("N")[..12],
                StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
                PartitionCount = 4,
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100),
                LoggerFactory = loggers,
            };
            var service = new AzureStorageOrchestrationService(settings);
            await service.CreateIfNotExistsAsync().WaitAsync(ct);

            var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), loggers);
            var worker = new TaskHubWorker(service, loggers);
            worker.AddTaskOrchestrations(
                new HumanLoop.Durable.Engine.NamedCreator<TaskOrchestration>(Echo, () => shims.CreateOrchestration<string, string>(Echo, (_, name) => Task.FromResult<string?>("hello " + name))),
                new HumanLoop.Durable.Engine.NamedCreator<TaskOrchestration>(WaitForGo, () => shims.CreateOrchestration<string?, string>(WaitForGo, async (context, _) =>
                {
                    context.SetCustomStatus("waiting");
                    return "got " + await context.WaitForExternalEvent<string>("go");
                })),
                new HumanLoop.Durable.Engine.NamedCreator<TaskOrchestration>(TwoEvents, () => shims.CreateOrchestration<string?, string>(TwoEvents, async (context, _) =>
                {
                    var first = await context.WaitForExternalEvent<int>("first");
                    var second = await context.WaitForExternalEvent<int>("second");
                    return $"{first},{second}";
                })));
            await worker.StartAsync().WaitAsync(ct);
            return new EngineHub(worker, new EngineDurableTaskClient(service, timeProvider: TimeProvider.System));
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await _worker.StopAsync(isForced: true);
            _worker.Dispose();
        }
    }
}
