using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Live;

/// <summary>
/// Two hosts on one hub (partitions leased through a table), a live client on each: storage is the shared truth, so each
/// client sees what the other host did, the node runs and answers alike. Its own app and hub, as the hosting tests have.
/// </summary>
public sealed class LiveHostsTests(HumanLoopAppFixture app, ITestOutputHelper output) : IClassFixture<HumanLoopAppFixture>
{
    [Fact]
    public async Task TwoHosts_AClientOnEach_SeeTheSameStreamWhicheverHostRanTheNodeOrTookTheAnswer()
    {
        using var timeout = TestTimeout.Start(300);
        await using var second = HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"],
            app.ConnectionString,
            app.HubName,
            new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:useTablePartitionManagement"] = "true" });
        await second.StartAsync(timeout.Token);
        var b = new Uri(second.Urls.Single());
        output.WriteLine($"host A {app.BaseAddress}, host B {b}");

        var runId = ApiClient.NewId("hosts");
        using (var started = await app.Client.StartAsync(SupportChatGraph.Name, runId, null, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        await using var onA = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);
        await using var onB = await LiveSocket.ConnectAsync(b, runId, timeout.Token);
        var account = await onB.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");
        await onA.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");

        // An answer through host A reaches the client on host B, and one through B the client on A.
        await onA.AnswerAsync(LiveSocket.Text(account, "requestId")!, "new", "a-1", timeout.Token);
        var username = await onB.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "username");
        Assert.Equal("new", (await onB.WaitForTypeAsync("accepted", timeout.Token)).GetProperty("answer").GetString());
        await onB.AnswerAsync(LiveSocket.Text(username, "requestId")!, "two.hosts", "b-1", timeout.Token);
        var replyOnA = await onA.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "node") == "reply");
        Assert.Contains("two.hosts", LiveSocket.Text(replyOnA, "text"), StringComparison.Ordinal);
        await onA.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");
        await onB.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");

        // Both clients saw the same gapless stream, frame for frame.
        var onAFrames = onA.Sequenced.Select(f => f.GetRawText()).ToList();
        var onBFrames = onB.Sequenced.Select(f => f.GetRawText()).ToList();
        Assert.Equal(onAFrames, onBFrames);
        Assert.Equal(Enumerable.Range(1, onAFrames.Count).Select(i => (long)i), onA.Sequenced.Select(f => f.GetProperty("seq").GetInt64()));

        await onB.AnswerAsync(LiveSocket.Text(onB.Sequenced[^1], "requestId")!, "done", "b-2", timeout.Token);
        await onA.WaitForTypeAsync("end", timeout.Token);
        await second.StopAsync(timeout.Token);
    }
}
