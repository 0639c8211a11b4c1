using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Notifications;
using HumanLoop.Human;

namespace HumanLoop.Durable.Tests.Notifications;

[Collection(AzuriteCollection.Name)]
public sealed class WebhookNotificationTests(AzuriteFixture azurite)
{
    private const string Secret = "s3cr3t-for-tests";

    private static Dictionary<string, string?> Settings(Uri url, int maxAttempts = 4, params string[] events)
    {
        var settings = new Dictionary<string, string?>
        {
            ["HumanLoop:Webhooks:crm:Url"] = url.AbsoluteUri,
            ["HumanLoop:Webhooks:crm:Secret"] = Secret,
            ["HumanLoop:Webhooks:crm:MaxAttempts"] = maxAttempts.ToString(CultureInfo.InvariantCulture),
            ["HumanLoop:Webhooks:crm:InitialDelay"] = "00:00:01",
        };
        for (int i = 0; i < events.Length; i++)
        {
            settings[$"HumanLoop:Webhooks:crm:Events:{i}"] = events[i];
        }

        return settings;
    }

    private static string NewRun() => "run-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Opened_DeliversTheTaskSignedWithHmacOfTimestampAndBody()
    {
        using var timeout = TestTimeout.Start();
        await using var receiver = await WebhookReceiver.StartAsync();
        var time = new SignallingTimeProvider();
        await using var host = await NotificationHost.StartAsync(azurite, Settings(receiver.Url), time: time);
        var request = NotificationHost.Request(NewRun(), "Approve <b>it</b>?", "Draft", [Assignee.Role("editor")], HumanChannel.Callback);

        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        var delivery = Assert.Single(receiver.All);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), delivery.Timestamp);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(delivery.Timestamp + "." + delivery.Body)));
        Assert.Equal(expected, delivery.Signature);
        Assert.True(WebhookSignature.Verify(Secret, delivery.Timestamp, delivery.Body, delivery.Signature, time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("wrong", delivery.Timestamp, delivery.Body, delivery.Signature, time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, delivery.Timestamp, delivery.Body + " ", delivery.Signature, time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, delivery.Timestamp, delivery.Body, delivery.Signature, time.GetUtcNow().AddMinutes(6), TimeSpan.FromMinutes(5)));
        Assert.StartsWith("application/json", delivery.ContentType, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(delivery.Body);
        var root = json.RootElement;
        Assert.Equal(request.Id + "/opened", root.GetProperty("id").GetString());
        Assert.Equal(request.Id + "/opened", delivery.DeliveryId);
        Assert.Equal("opened", root.GetProperty("type").GetString());
        Assert.Equal(request.RunId, root.GetProperty("runId").GetString());
        var task = root.GetProperty("task");
        Assert.Equal("Approve <b>it</b>?", task.GetProperty("prompt").GetString());
        Assert.Equal("Edit", task.GetProperty("kind").GetString());
        Assert.Equal("role:editor", task.GetProperty("assignees")[0].GetString());
        Assert.Equal("Draft", task.GetProperty("details").GetProperty("value").GetString());
        Assert.False(task.TryGetProperty("state", out _));
        Assert.Equal(NoticeLog.Sent, Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token)).Status);
    }

    [Fact]
    public async Task ServerErrors_RetryWithDoublingDelaysOnTheInjectedClock_ThenDeliver()
    {
        using var timeout = TestTimeout.Start();
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var time = new SignallingTimeProvider();
        await using var host = await NotificationHost.StartAsync(azurite, Settings(receiver.Url), time: time);
        var request = NotificationHost.Request(NewRun(), "Approve?", "Draft", [Assignee.Role("editor")], HumanChannel.Callback);

        var recording = host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await receiver.NextAsync(timeout.Token);
        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync(timeout.Token));
        Assert.False(recording.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await receiver.NextAsync(timeout.Token);
        Assert.Equal(TimeSpan.FromSeconds(2), await time.NextTimerAsync(timeout.Token));
        time.Advance(TimeSpan.FromSeconds(2));
        var third = await receiver.NextAsync(timeout.Token);
        await recording;

        Assert.Equal(3, receiver.All.Count);
        Assert.All(receiver.All, d => Assert.Equal(request.Id + "/opened", d.DeliveryId));
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), third.Timestamp);
        Assert.True(WebhookSignature.Verify(Secret, third.Timestamp, third.Body, third.Signature, time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.Equal(NoticeLog.Sent, Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token)).Status);
        Assert.Empty(await host.DeadLetters.ListAsync("crm", timeout.Token));
    }

    [Fact]
    public async Task EveryAttemptFails_DeadLetteredAfterTheLast_AndNotSentAgain()
    {
        using var timeout = TestTimeout.Start();
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 500, 500);
        var time = new SignallingTimeProvider();
        await using var host = await NotificationHost.StartAsync(azurite, Settings(receiver.Url, maxAttempts: 3), time: time);
        var request = NotificationHost.Request(NewRun(), "Approve?", "Draft", [Assignee.Role("editor")], HumanChannel.Callback);

        var recording = host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        foreach (var delay in new[] { 1, 2 })
        {
            await receiver.NextAsync(timeout.Token);
            Assert.Equal(TimeSpan.FromSeconds(delay), await time.NextTimerAsync(timeout.Token));
            time.Advance(TimeSpan.FromSeconds(delay));
        }

        await recording;
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        Assert.Equal(3, receiver.All.Count);
        var letter = Assert.Single(await host.DeadLetters.ListAsync("crm", timeout.Token));
        Assert.Equal((request.Id + "/opened", 3, "opened", request.RunId, request.Id), (letter.DeliveryId, letter.Attempts, letter.Kind, letter.RunId, letter.RequestId));
        Assert.Equal("HTTP 500 Internal Server Error", letter.LastError);
        Assert.Equal(receiver.Url.AbsoluteUri, letter.Url);
        Assert.Equal(receiver.All[0].Body, letter.Body);
        Assert.Equal(time.GetUtcNow(), letter.FailedAt);
        Assert.Equal(NoticeLog.DeadLettered, Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token)).Status);
    }

    [Fact]
    public async Task ClientError_IsNotRetried_AndEventsFilterTheKinds()
    {
        using var timeout = TestTimeout.Start();
        await using var receiver = await WebhookReceiver.StartAsync(401);
        var time = new SignallingTimeProvider();
        await using var host = await NotificationHost.StartAsync(azurite, Settings(receiver.Url, 4, "opened", "escalated"), time: time);
        var request = NotificationHost.Request(NewRun(), "Approve?", "Draft", [Assignee.Role("editor")], HumanChannel.Callback);

        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);
        await host.RecordAsync(NotificationHost.Reminder(request, 1, 5), timeout.Token);

        Assert.Single(receiver.All);
        Assert.Equal("HTTP 401 Unauthorized", Assert.Single(await host.DeadLetters.ListAsync("crm", timeout.Token)).LastError);
        Assert.Equal(["opened~webhook-crm"], (await host.Notices.ListAsync(request.Id, timeout.Token)).Select(n => n.Notice));
    }
}
