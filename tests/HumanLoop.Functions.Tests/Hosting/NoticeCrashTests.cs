using Azure.Data.Tables;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Hosting;

/// <summary>
/// A crash between sending a notice and recording it: the self-hosted app mails the editor through a relay to a real
/// smtp4dev, the relay withholds the server's "250 OK" (the mail is stored, the app does not know it went out), and the
/// app is killed with SIGKILL. Started again on the same hub, it sends that notice once more, and no more than that.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NoticeCrashTests(HumanLoopAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_KilledAfterTheMailWentOutBeforeItWasRecorded_RestartSendsItOnceMore_AndTheRunGoesOn()
    {
        using var timeout = TestTimeout.Start(300);
        var ct = timeout.Token;
        await using var smtp = await Smtp4dev.StartAsync(ct);
        await using var relay = new SmtpRelay(smtp.SmtpPort);
        var hub = "FnNotice" + Guid.NewGuid().ToString("N")[..12];
        var alice = $"alice-{Guid.NewGuid():N}@example.test";
        var environment = AppProcess.OnHub(app.ConnectionString, hub);
        environment["HumanLoop__Email__Host"] = "127.0.0.1";
        environment["HumanLoop__Email__Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["HumanLoop__Email__Security"] = "None";
        environment["HumanLoop__Email__Timeout"] = "00:02:00";
        environment["HumanLoop__Directory__Users__alice__Email"] = alice;
        environment["HumanLoop__Directory__Roles__editor__0"] = "alice";
        var port = AppProcess.FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        var notices = new NoticeLog(new TableServiceClient(app.ConnectionString), new TaskHubNames(hub), TimeProvider.System);
        var id = ApiClient.NewId("crash");
        var requestId = id + ":review:1";

        await using (var first = await RunningApp.StartAsync(port, environment, client, output, ct))
        {
            using var started = await client.StartAsync(ArticleReviewGraph.Name, id, """{"topic": "Crashes"}""", ct);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            await relay.Withheld.WaitAsync(ct);
            await smtp.WaitForAsync(alice, 1, ct);
            await first.KillAsync(ct);
        }

        // The mail went out; the record says it was being sent, not that it was.
        var pending = await notices.GetAsync(requestId, "opened~email", ct);
        Assert.Equal((NoticeLog.Sending, 1), (pending?.Status, pending?.Attempts));

        relay.Release();
        await using var second = await RunningApp.StartAsync(port, environment, client, output, ct);
        Assert.Equal(requestId, await client.WaitForOpenRequestAsync(id, ct));
        NoticeEntry? sent;
        while ((sent = await notices.GetAsync(requestId, "opened~email", ct)) is not { Status: NoticeLog.Sent })
        {
            await Task.Delay(100, ct);
        }

        Assert.Equal(2, sent.Attempts);
        Assert.Equal(2, (await smtp.WaitForAsync(alice, 2, ct)).Count);

        using (var answer = await client.PostAsync(
            $"/api/runs/{Uri.EscapeDataString(id)}/requests/{Uri.EscapeDataString(requestId)}/respond",
            ApiClient.Json("""{"answer": "/approve", "respondent": "user:alice"}"""),
            ct))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var final = await client.WaitForFinishedAsync(id, ct);
        Assert.Equal("published", final.GetProperty("output").GetProperty("outcome").GetString());
        Assert.Equal(2, (await smtp.ListToAsync(alice, ct)).Count);
    }
}
