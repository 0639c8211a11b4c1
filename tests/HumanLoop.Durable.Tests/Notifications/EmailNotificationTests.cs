using System.Text.Json;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Durable.Serialization;
using HumanLoop.Human;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Notifications;

[Collection(AzuriteCollection.Name)]
public sealed class EmailNotificationTests(AzuriteFixture azurite, Smtp4devFixture smtp) : IClassFixture<Smtp4devFixture>
{
    private const string HostilePrompt = "Review <script>alert(1)</script> \"><img src=x onerror=alert(2)> & publish?";
    private const string HostileDraft = "</pre><iframe src=javascript:alert(3)></iframe> Body & \"quotes\"";

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@example.test";

    private Dictionary<string, string?> Settings(params (string User, string Email)[] users)
    {
        var settings = NotificationHost.EmailSettings(smtp.Server.SmtpPort, SmtpSecurity.None, users);
        for (int i = 0; i < users.Length; i++)
        {
            if (users[i].User is "alice" or "bob")
            {
                settings[$"HumanLoop:Directory:Roles:editor:{i}"] = users[i].User;
            }
        }

        return settings;
    }

    [Fact]
    public async Task Opened_RoleAssignee_MailsEachMemberOnceWithEncodedHtmlAndText()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice"), bob = Unique("bob"), marker = Unique("marker");
        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice), ("bob", bob), ("marker", marker)));
        var runId = "run-" + Guid.NewGuid().ToString("N")[..8];
        var request = NotificationHost.Request(runId, HostilePrompt, HostileDraft, [Assignee.Role("editor")], HumanChannel.Email | HumanChannel.Callback);

        // The activity runs twice, as after a crash between recording and completing.
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        // A later notice to another address: once it is in, anything the repeat sent is in too.
        var later = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Marker", "m", [Assignee.User("marker")], HumanChannel.Email);
        await host.RecordAsync(NotificationHost.Opened(later), timeout.Token);
        await smtp.Server.WaitForAsync(marker, 1, timeout.Token);

        var toAlice = Assert.Single(await smtp.Server.ListToAsync(alice, timeout.Token));
        Assert.Single(await smtp.Server.ListToAsync(bob, timeout.Token));
        var message = await smtp.Server.GetAsync(toAlice.Id, timeout.Token);
        Assert.Equal("Your review is requested: " + HostilePrompt, message.Subject);
        Assert.Equal(alice, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("humanloop@example.test", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal(request.Id, message.Headers["X-HumanLoop-Request"]);

        // The plain text carries the prompt and draft as they are; the HTML encodes every character that matters.
        Assert.Contains(HostilePrompt, message.TextBody, StringComparison.Ordinal);
        Assert.Contains(HostileDraft, message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Hello alice,", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"Answer it in the HumanLoop inbox, or with POST /api/runs/{runId}/requests/{request.Id}/respond.", message.TextBody, StringComparison.Ordinal);
        var html = message.HtmlBody;
        Assert.Contains("Review &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; publish?", html, StringComparison.Ordinal);
        Assert.Contains("&lt;/pre&gt;&lt;iframe src=javascript:alert(3)&gt;&lt;/iframe&gt; Body &amp; &quot;quotes&quot;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<a ", html, StringComparison.Ordinal);

        var entry = Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token));
        Assert.Equal(("opened~email", NoticeLog.Sent, 1), (entry.Notice, entry.Status, entry.Attempts));
        Assert.Equal($"{alice}, {bob}", entry.Detail);
    }

    [Fact]
    public async Task Opened_WithActionLinks_OneButtonPerActionAndAReviewLink_BoundToEachPerson()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice");
        var links = new RecordingLinks();
        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice)), services: s => s.AddSingleton<IActionLinks>(links));
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.Role("editor")], HumanChannel.Email);

        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        var summary = Assert.Single(await smtp.Server.WaitForAsync(alice, 1, timeout.Token));
        var message = await smtp.Server.GetAsync(summary.Id, timeout.Token);
        Assert.Equal([(request.Id, "user:alice")], links.Calls);
        var html = message.HtmlBody;
        Assert.Contains("<a href=\"https://review.example.test/a?t=approve&amp;x=%22%3E%3Cimg\" style=", html, StringComparison.Ordinal);
        Assert.Contains(">Approve as is</a>", html, StringComparison.Ordinal);
        Assert.Contains(">Reject &lt;b&gt;now&lt;/b&gt;</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://review.example.test/review?t=r\">Open the review page</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Approve as is: https://review.example.test/a?t=approve&x=%22%3E%3Cimg", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Review: https://review.example.test/review?t=r", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/respond", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReminderAndEscalation_EachMailedOnce_EscalationToTheNewAssigneeOnly()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice"), chief = Unique("chief"), marker = Unique("marker");
        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice), ("chief", chief), ("marker", marker)));
        var runId = "run-" + Guid.NewGuid().ToString("N")[..8];
        var first = NotificationHost.Request(runId, "Approve the draft?", "Draft", [Assignee.Role("editor")], HumanChannel.Email);
        await host.RecordAsync(NotificationHost.Opened(first), timeout.Token);

        await host.RecordAsync(NotificationHost.Reminder(first, 1, 7), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(first, 1, 7), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(first, 2, 9), timeout.Token);
        var escalated = NotificationHost.Request(runId, "Approve the draft?", "Draft", [Assignee.User("chief")], HumanChannel.Email, level: 1, occurrence: 2);
        await host.RecordAsync(NotificationHost.Opened(escalated), timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(escalated), timeout.Token);

        var later = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Marker", "m", [Assignee.User("marker")], HumanChannel.Email);
        await host.RecordAsync(NotificationHost.Opened(later), timeout.Token);
        await smtp.Server.WaitForAsync(marker, 1, timeout.Token);

        var toAlice = await smtp.Server.ListToAsync(alice, timeout.Token);
        Assert.Equal(
            ["Reminder 1: Approve the draft?", "Reminder 2: Approve the draft?", "Your review is requested: Approve the draft?"],
            toAlice.Select(m => m.Subject).Order(StringComparer.Ordinal));
        var toChief = Assert.Single(await smtp.Server.ListToAsync(chief, timeout.Token));
        Assert.Equal("Escalated to you: Approve the draft?", toChief.Subject);
        var escalation = await smtp.Server.GetAsync(toChief.Id, timeout.Token);
        Assert.Contains("This request was escalated to you (escalation level 1): nobody answered it in time.", escalation.TextBody, StringComparison.Ordinal);
        var reminder = await smtp.Server.GetAsync(toAlice.Single(m => m.Subject.StartsWith("Reminder 2", StringComparison.Ordinal)).Id, timeout.Token);
        Assert.Contains("Reminder 2: this request is still waiting for an answer.", reminder.TextBody, StringComparison.Ordinal);
        Assert.Equal(["opened~email", "reminder-1~email", "reminder-2~email"], (await host.Notices.ListAsync(first.Id, timeout.Token)).Select(n => n.Notice).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SmtpDown_ActivityFailsAndTheRetrySendsTheNoticeOnce()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice");
        var hub = Orchestration.EngineHost.NewHubName();
        var down = Settings(("alice", alice));
        down["HumanLoop:Email:Port"] = "1";
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);
        await using (var broken = await NotificationHost.StartAsync(azurite, down, hub))
        {
            var failure = await Assert.ThrowsAsync<AggregateException>(() => broken.RecordAsync(NotificationHost.Opened(request), timeout.Token));
            Assert.Equal("Some notices could not be sent; the activity is retried and sends only those.", failure.Message.Split(" (")[0]);
            var pending = Assert.Single(await broken.Notices.ListAsync(request.Id, timeout.Token));
            Assert.Equal((NoticeLog.Sending, 1), (pending.Status, pending.Attempts));
            Assert.NotNull(await broken.Tasks.GetAsync(request.RunId, request.Id, timeout.Token));
        }

        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice)), hub);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        Assert.Single(await smtp.Server.WaitForAsync(alice, 1, timeout.Token));
        var sent = Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token));
        Assert.Equal((NoticeLog.Sent, 2), (sent.Status, sent.Attempts));
    }

    [Fact]
    public async Task SmtpDown_NodeActivityStoresItsRecordsAndSucceeds_ReportingItsNoticesForARecordActivity()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice");
        var hub = Orchestration.EngineHost.NewHubName();
        var down = Settings(("alice", alice));
        down["HumanLoop:Email:Port"] = "1";
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);
        await using (var broken = await NotificationHost.StartAsync(azurite, down, hub, graphs: [Orchestration.TestGraphs.Approval]))
        {
            // A mail server that is down must not fail the node whose activity carried the records.
            var input = new NodeActivityInput
            {
                Graph = "approval",
                RunId = request.RunId,
                Node = "prepare",
                TaskId = "t1",
                State = Orchestration.TestGraphs.Approval.ToJson(new Orchestration.Flow()),
                Records = NotificationHost.Opened(request),
            };
            var output = await broken.Activities.RunNodeAsync(JsonSerializer.SerializeToElement(input, DurableJsonContext.Default.NodeActivityInput), timeout.Token);
            var result = output.Deserialize(DurableJsonContext.Default.NodeActivityResult)!;
            Assert.NotNull(result.Output);
            Assert.True(result.NoticesPending);
            Assert.NotNull(await broken.Tasks.GetAsync(request.RunId, request.Id, timeout.Token));
        }

        // The orchestrator hands the same records to a record activity that only sends: one mail.
        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice)), hub);
        await host.RecordAsync(NotificationHost.Opened(request) with { NotifyOnly = true }, timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(request) with { NotifyOnly = true }, timeout.Token);
        Assert.Single(await smtp.Server.WaitForAsync(alice, 1, timeout.Token));
    }

    [Fact]
    public async Task ChannelWithoutEmail_OrUnknownAssignee_SendsNoMail()
    {
        using var timeout = TestTimeout.Start();
        string alice = Unique("alice"), marker = Unique("marker");
        await using var host = await NotificationHost.StartAsync(azurite, Settings(("alice", alice), ("marker", marker)));
        var consoleOnly = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Console only", "d", [Assignee.User("alice")], HumanChannel.Console | HumanChannel.Callback);
        var nobody = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Unknown", "d", [Assignee.User("zed")], HumanChannel.Email);

        await host.RecordAsync(NotificationHost.Opened(consoleOnly), timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(nobody), timeout.Token);
        var later = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Marker", "m", [Assignee.User("marker")], HumanChannel.Email);
        await host.RecordAsync(NotificationHost.Opened(later), timeout.Token);
        await smtp.Server.WaitForAsync(marker, 1, timeout.Token);

        Assert.Empty(await smtp.Server.ListToAsync(alice, timeout.Token));
        Assert.Empty(await host.Notices.ListAsync(consoleOnly.Id, timeout.Token));
        Assert.Empty(await host.Notices.ListAsync(nobody.Id, timeout.Token));
    }

    private sealed class RecordingLinks : IActionLinks
    {
        public List<(string RequestId, string Assignee)> Calls { get; } = [];

        public ActionLinkSet Create(HumanTaskRecord task, string assignee)
        {
            lock (Calls)
            {
                Calls.Add((task.RequestId, assignee));
            }

            return new ActionLinkSet(
                new Uri("https://review.example.test/review?t=r"),
                [
                    new ActionLink("approve", "Approve as is", new Uri("https://review.example.test/a?t=approve&x=%22%3E%3Cimg")),
                    new ActionLink("reject", "Reject <b>now</b>", new Uri("https://review.example.test/a?t=reject")),
                    new ActionLink("evil", "Evil", new Uri("javascript:alert(1)")),
                ]);
        }
    }
}
