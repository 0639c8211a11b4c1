using System.Text.Json;
using Azure.Storage.Queues;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Notifications;

/// <summary>The <c>{hub}-human-tasks</c> queue as a notice channel: every kind, the step's channels, and retries.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueueNotificationTests(AzuriteFixture azurite, Smtp4devFixture smtp) : IClassFixture<Smtp4devFixture>
{
    private static string NewRunId() => "run-" + Guid.NewGuid().ToString("N")[..8];

    private QueueClient Queue(string hub) => new QueueServiceClient(azurite.Launcher.ConnectionString).GetQueueClient(new TaskHubNames(hub).HumanTasksQueue);

    /// <summary>Takes every notice on a hub's task queue (each stays invisible for five minutes).</summary>
    internal static async Task<List<HumanTaskNotice>> DrainAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        var notices = new List<HumanTaskNotice>();
        while (true)
        {
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), cancellationToken)).Value;
            if (batch.Length == 0)
            {
                return notices;
            }

            notices.AddRange(batch.Select(m => JsonSerializer.Deserialize(m.Body.ToString(), DurableJsonContext.Default.HumanTaskNotice)!));
        }
    }

    private static Dictionary<string, string?> Email(string alice, int port) => NotificationHost.EmailSettings(port, SmtpSecurity.None, ("alice", alice));

    [Fact]
    public async Task CallbackStep_QueueGetsOpenedRemindersEscalatedAndClosed_EachOnceWithItsId()
    {
        using var timeout = TestTimeout.Start();
        var hub = Orchestration.EngineHost.NewHubName();
        await using var host = await NotificationHost.StartAsync(azurite, new Dictionary<string, string?>(), hub);
        var runId = NewRunId();
        var first = NotificationHost.Request(runId, "Approve the draft?", "Draft", [Assignee.Role("editor")], HumanChannel.Callback);
        await host.RecordAsync(NotificationHost.Opened(first), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(first, 1, 7), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(first, 2, 9), timeout.Token);

        // The first task escalates away and the chief's opens in one transition; the chief then answers.
        var escalated = NotificationHost.Request(runId, "Approve the draft?", "Draft", [Assignee.User("chief")], HumanChannel.Callback, level: 1, occurrence: 2);
        var away = first with { Status = HumanRequestStatus.Escalated, ClosedAt = first.OpenedAt.AddDays(1) };
        await host.RecordAsync(NotificationHost.Opened(escalated) with { Closed = [new ClosedTask(away, null)] }, timeout.Token);
        var answered = escalated with
        {
            Status = HumanRequestStatus.Accepted,
            ClosedAt = escalated.OpenedAt.AddHours(2),
            Answer = JsonSerializer.SerializeToElement(new { action = "approve" }),
            Respondent = "chief",
            AnsweredVia = "callback",
        };
        await host.RecordAsync(new RecordInput { Graph = "article-review", RunId = runId, Closed = [new ClosedTask(answered, "callback")] }, timeout.Token);

        // A step that does not allow callbacks is not published.
        var mailOnly = NotificationHost.Request(NewRunId(), "Mail only", "m", [Assignee.User("alice")], HumanChannel.Email);
        await host.RecordAsync(NotificationHost.Opened(mailOnly), timeout.Token);

        var notices = await DrainAsync(Queue(hub), timeout.Token);
        (string, string, int?)[] expected =
            [
                ("opened", first.Id + "/opened", (int?)null),
                ("reminder", first.Id + "/reminder-1", 1),
                ("reminder", first.Id + "/reminder-2", 2),
                ("escalated", escalated.Id + "/escalated", null),
                ("closed", first.Id + "/closed", null),
                ("closed", escalated.Id + "/closed", null),
            ];
        Assert.Equal(expected.Order(), notices.Select(n => (n.Type, n.Id!, n.Reminder)).Order());
        Assert.All(notices, n => Assert.Equal(runId, n.RunId));
        var won = notices.Single(n => n.Id == escalated.Id + "/closed");
        Assert.Equal((HumanRequestStatus.Accepted, "chief", "callback"), (won.Status, won.Task!.Respondent, won.Task.AnsweredVia));
        Assert.Equal("approve", won.Task.Answer!.Value.GetProperty("action").GetString());
        Assert.Equal([Assignee.User("chief")], notices.Single(n => n.Type == "escalated").Task!.Assignees.ToArray());
        Assert.Equal(HumanRequestStatus.Escalated, notices.Single(n => n.Id == first.Id + "/closed").Status);
        Assert.All(notices, n => Assert.Null(n.Task!.State));
    }

    [Fact]
    public async Task MailServerDown_ActivityFails_TheRetrySendsTheMailButNotTheQueueNoticeAgain()
    {
        using var timeout = TestTimeout.Start();
        var hub = Orchestration.EngineHost.NewHubName();
        var alice = $"alice-{Guid.NewGuid():N}@example.test";
        var request = NotificationHost.Request(NewRunId(), "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email | HumanChannel.Callback);
        await using (var broken = await NotificationHost.StartAsync(azurite, Email(alice, port: 1), hub))
        {
            await Assert.ThrowsAsync<AggregateException>(() => broken.RecordAsync(NotificationHost.Opened(request), timeout.Token));
            var queued = (await broken.Notices.ListAsync(request.Id, timeout.Token)).Single(n => n.Notice == "opened~queue");
            Assert.Equal(NoticeLog.Sent, queued.Status);
        }

        await using var host = await NotificationHost.StartAsync(azurite, Email(alice, smtp.Server.SmtpPort), hub);
        await host.RecordAsync(NotificationHost.Opened(request) with { Attempt = 2 }, timeout.Token);

        Assert.Single(await smtp.Server.WaitForAsync(alice, 1, timeout.Token));
        var notice = Assert.Single(await DrainAsync(Queue(hub), timeout.Token));
        Assert.Equal((HumanTaskNotice.Opened, request.Id + "/opened"), (notice.Type, notice.Id));
    }

    [Fact]
    public async Task PublishingOff_NothingReachesTheQueue()
    {
        using var timeout = TestTimeout.Start();
        var hub = Orchestration.EngineHost.NewHubName();
        await using var host = await NotificationHost.StartAsync(azurite, new Dictionary<string, string?>(), hub, configure: o => o.PublishHumanTasks = false);
        var request = NotificationHost.Request(NewRunId(), "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Callback);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(request, 1, 3), timeout.Token);

        Assert.NotNull(await host.Tasks.GetAsync(request.RunId, request.Id, timeout.Token));
        Assert.Empty(await DrainAsync(Queue(hub), timeout.Token));
    }
}
