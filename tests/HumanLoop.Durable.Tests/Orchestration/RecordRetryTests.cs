using System.Text.Json;
using Azure.Storage.Queues;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Durable.Tests.Notifications;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>
/// A record activity that keeps failing (the mail server is down longer than the quick retries last) is not given up:
/// the orchestrator tries it again on a durable timer until it goes through, and the run is not held back meanwhile.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RecordRetryTests(AzuriteFixture azurite, Smtp4devFixture smtp) : IClassFixture<Smtp4devFixture>
{
    [Fact]
    public async Task MailServerDownPastTheQuickRetries_TheNoticeGoesOutOnceWhenItIsBack_AndTheRunIsAnsweredMeanwhile()
    {
        using var timeout = TestTimeout.Start(180);
        var ct = timeout.Token;
        await using var relay = new TcpRelay(new Uri($"http://127.0.0.1:{smtp.Server.SmtpPort}")) { Refusing = true };
        var alice = $"alice-{Guid.NewGuid():N}@example.test";
        var settings = NotificationHost.EmailSettings(relay.Address.Port, SmtpSecurity.None, ("alice", alice));
        settings["HumanLoop:Directory:Roles:editor:0"] = "alice";
        await using var host = await EngineHost.StartAsync(
            azurite,
            [TestGraphs.Approval],
            o => o.RecordRetry = new RecordRetryOptions
            {
                QuickAttempts = 2,
                FirstInterval = TimeSpan.FromMilliseconds(100),
                SlowInterval = TimeSpan.FromSeconds(1),
                MaxSlowInterval = TimeSpan.FromSeconds(2),
            },
            cancellationToken: ct,
            settings: settings);
        var notices = host.Services.GetRequiredService<NoticeLog>();

        var runId = await host.Client.StartRunAsync("approval", GraphOrchestratorTests.Json(new Flow(Title: "t")), cancellationToken: ct);
        var requestId = runId + ":review:1";

        // The node's activity tried once, the record activity twice quickly, then on the slow timer: an eighth attempt
        // is past anything a retry policy of six attempts would have made before giving the notice up.
        await Polling.ValueAsync(() => notices.GetAsync(requestId, "opened~email", ct), n => n is { Attempts: >= 8 }, ct);
        var status = await host.Client.GetStatusAsync(runId, cancellationToken: ct);
        Assert.Equal(RunStatus.Running, status!.RuntimeStatus);

        relay.Refusing = false;
        Assert.Single(await smtp.Server.WaitForAsync(alice, 1, ct));
        var sent = await Polling.ValueAsync(() => notices.GetAsync(requestId, "opened~email", ct), n => n is { IsDone: true }, ct);
        Assert.Equal(NoticeLog.Sent, sent!.Status);

        var outcome = await host.Client.RespondAsync(runId, requestId, GraphOrchestratorTests.Json("approve"), "user:alice", "web", "m1", ct);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        var done = await host.Client.WaitForCompletionAsync(runId, ct);
        await Assertions.CompletedAsync(host, done);
        Assert.Single(await smtp.Server.ListToAsync(alice, ct));
    }

    [Fact]
    public async Task QueueGoneAcrossContinueAsNew_WaitingRecordsAreCarriedIntoTheNextGeneration_AndEveryNoticeArrives()
    {
        using var timeout = TestTimeout.Start(180);
        var ct = timeout.Token;

        // No quick retries and a slow one far off: a failed record is retried only when a generation starts or the run ends.
        await using var host = await EngineHost.StartAsync(
            azurite,
            [TestGraphs.Loop],
            o =>
            {
                o.ContinueAsNewAfter = 2;
                o.RecordRetry = new RecordRetryOptions { QuickAttempts = 1, SlowInterval = TimeSpan.FromHours(1), MaxSlowInterval = TimeSpan.FromHours(1) };
            },
            cancellationToken: ct);
        var queue = new QueueServiceClient(azurite.Launcher.ConnectionString).GetQueueClient(new TaskHubNames(host.HubName).HumanTasksQueue);
        await queue.DeleteAsync(ct);

        var runId = await host.Client.StartRunAsync("loop", GraphOrchestratorTests.Json(new Flow()), cancellationToken: ct);
        for (int i = 1; i <= 4; i++)
        {
            await Polling.UntilAsync(host.Client, runId, s => s.OpenRequests.Any(r => r.Id == $"{runId}:ask:{i}"), ct);
            await host.Client.RaiseEventAsync(runId, "ask", GraphOrchestratorTests.Json("a" + i), cancellationToken: ct);
        }

        await Polling.UntilAsync(host.Client, runId, s => s.OpenRequests.Any(r => r.Id == $"{runId}:ask:5"), ct);

        // A generation started (it continues as new once its record activity failed) with the failed records carried.
        await Polling.ValueAsync(
            async () => (await host.Engine.GetInstanceAsync(runId, getInputsAndOutputs: true, ct))?.SerializedInput,
            input => input is not null && RunContinuation.IsContinuation(JsonDocument.Parse(input).RootElement)
                && JsonSerializer.Deserialize(input, DurableJsonContext.Default.RunContinuation) is { Unrecorded.Length: > 0 },
            ct);

        await queue.CreateAsync(cancellationToken: ct);
        await host.Client.RaiseEventAsync(runId, "ask", GraphOrchestratorTests.Json("done"), cancellationToken: ct);
        var done = await host.Client.WaitForCompletionAsync(runId, ct);
        await Assertions.CompletedAsync(host, done);

        // The last transition's record may still be on its way when the run shows its end.
        var expected = Enumerable.Range(1, 5).SelectMany(i => new[] { $"{runId}:ask:{i}/opened", $"{runId}:ask:{i}/closed" }).ToHashSet(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await Polling.ValueAsync(
            async () =>
            {
                ids.UnionWith((await QueueNotificationTests.DrainAsync(queue, ct)).Select(n => n.Id!));
                return ids.Count;
            },
            _ => ids.IsSupersetOf(expected),
            ct);
        Assert.Equal(expected.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }
}
