using System.Net.WebSockets;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Live;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>The live channel's upgrade is authenticated as the answer endpoints are, and answers over it are checked against the assignees.</summary>
[Collection(IdentityCollection.Name)]
public sealed class LiveIdentityTests(IdentityAppFixture app)
{
    [Fact]
    public async Task Upgrade_WithoutCredentialsOrWithABadToken_Gets401_AKeyOrAPersonsTokenConnects()
    {
        using var timeout = TestTimeout.Start(120);
        var (runId, _) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"live"}""", timeout.Token);

        using var anonymous = new ClientWebSocket();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => anonymous.ConnectAsync(LiveUri(runId), timeout.Token));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        using var forged = new ClientWebSocket();
        forged.Options.SetRequestHeader("Authorization", "Bearer " + app.Token("dana") + "x");
        Assert.Contains("401", (await Assert.ThrowsAsync<WebSocketException>(() => forged.ConnectAsync(LiveUri(runId), timeout.Token))).Message, StringComparison.Ordinal);

        await using (var system = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, query: "code=" + IdentityAppFixture.Keys[0]))
        {
            await system.WaitForTypeAsync("prompt", timeout.Token);
        }

        await using var person = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, configure: o => o.SetRequestHeader("Authorization", "Bearer " + app.Token("eve")));
        await person.WaitForTypeAsync("prompt", timeout.Token);
    }

    [Fact]
    public async Task Answer_ByANonAssignee_IsForbiddenAndAudited_ByAnAssignee_IsAcceptedAsThem()
    {
        using var timeout = TestTimeout.Start(120);
        var (runId, requestId) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"live answers"}""", timeout.Token);

        await using var eve = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, configure: o => o.SetRequestHeader("Authorization", "Bearer " + app.Token("eve")));
        await eve.WaitForTypeAsync("prompt", timeout.Token);
        await eve.AnswerAsync(requestId, "yes", "eve-1", timeout.Token);
        var forbidden = await eve.WaitForTypeAsync("error", timeout.Token);
        Assert.Equal(("forbidden", 403), (LiveSocket.Text(forbidden, "code"), forbidden.GetProperty("status").GetInt32()));
        Assert.Contains("'user:eve' is not an assignee", LiveSocket.Text(forbidden, "message"), StringComparison.Ordinal);

        await using var editor = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, configure: o => o.SetRequestHeader("Authorization", "Bearer " + app.Token("max", ["editor"])));
        await editor.AnswerAsync(requestId, "yes", "max-1", timeout.Token);
        Assert.Equal("Accepted", LiveSocket.Text(await editor.WaitForTypeAsync("ack", timeout.Token), "outcome"));
        var accepted = await eve.WaitForTypeAsync("accepted", timeout.Token);
        Assert.Equal(("user:max", "chat"), (LiveSocket.Text(accepted, "respondent"), LiveSocket.Text(accepted, "channel")));
        await eve.WaitForTypeAsync("end", timeout.Token);

        var audit = await app.AuditAsync(runId, requestId, timeout.Token);
        Assert.Contains(audit, e => e.GetProperty("outcome").GetString() == "Forbidden" && e.GetProperty("respondent").GetString() == "user:eve" && e.GetProperty("channel").GetString() == "chat");
    }

    private Uri LiveUri(string runId) => new($"ws://{app.BaseAddress.Authority}/api/runs/{runId}/live");
}
