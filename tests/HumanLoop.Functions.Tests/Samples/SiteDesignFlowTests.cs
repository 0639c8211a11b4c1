using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Live;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>
/// The site-design flow (pattern 4) on the real app, engine and Azurite: the brainstorm over the live WebSocket, then
/// the component review waiting on the callback API while the assets branch reports its progress in the same chat.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SiteDesignFlowTests(HumanLoopAppFixture app)
{
    [Fact]
    public async Task Brainstorm_InChat_ThenAssetsProgressWhileTheReviewWaits_ThenTheCallbackReviewPublishes()
    {
        using var timeout = TestTimeout.Start(240);
        var runId = ApiClient.NewId("site");
        using (var started = await app.Client.StartAsync(SiteDesignGraph.Name, runId, null, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        await using var live = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);

        // The proposals stream, then the theme question; a free-form reply is mapped onto a theme.
        var proposals = await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "node") == "propose");
        Assert.Contains("harbour: deep navy", LiveSocket.Text(proposals, "text"), StringComparison.Ordinal);
        Assert.True(ChunksOf(live, proposals).Count >= 10, "The proposals were not streamed.");
        var theme = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "pick_theme");
        Assert.Equal(SiteDesignGraph.Themes, theme.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        await live.AnswerAsync(LiveSocket.Text(theme, "requestId")!, "purple please", "t1", timeout.Token);
        var refused = await live.WaitForTypeAsync("invalid", timeout.Token, f => LiveSocket.Text(f, "requestId") == LiveSocket.Text(theme, "requestId"));
        Assert.Equal("'purple please' is not one of the allowed choices: harbour, meadow, sunrise.", LiveSocket.Text(refused, "message"));
        await live.AnswerAsync(LiveSocket.Text(theme, "requestId")!, "Let's go with the sunrise one", "t2", timeout.Token);

        // A preview, free-form feedback, a revised preview, then agreement.
        var first = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "feedback");
        await live.AnswerAsync(LiveSocket.Text(first, "requestId")!, "brighter colors", "f1", timeout.Token);
        var revised = await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "node") == "preview" && LiveSocket.Text(f, "text")!.StartsWith("Preview 2", StringComparison.Ordinal));
        Assert.StartsWith("Preview 2 (sunrise, brighter, more saturated colours)", LiveSocket.Text(revised, "text"), StringComparison.Ordinal);
        Assert.True(ChunksOf(live, revised).Count >= 10, "The preview was not streamed.");
        var second = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "feedback" && LiveSocket.Text(f, "requestId") != LiveSocket.Text(first, "requestId"));
        await live.AnswerAsync(LiveSocket.Text(second, "requestId")!, "looks good", "f2", timeout.Token);

        // The review opens for the designers (not a chat question), and every asset is reported while it waits.
        var review = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "component_review");
        Assert.Equal("Form", LiveSocket.Text(review, "kind"));
        var reviewId = LiveSocket.Text(review, "requestId")!;
        var last = await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "text")?.StartsWith("Assets 5/5:", StringComparison.Ordinal) == true);
        var progress = live.Frames.Where(f => LiveSocket.Type(f) == "message" && LiveSocket.Text(f, "node") == "assets").Select(f => LiveSocket.Text(f, "text")![..11]).ToList();
        Assert.Equal(["Assets 1/5:", "Assets 2/5:", "Assets 3/5:", "Assets 4/5:", "Assets 5/5:"], progress);
        Assert.DoesNotContain(live.Frames, f => LiveSocket.Type(f) == "accepted" && LiveSocket.Text(f, "requestId") == reviewId);
        var (status, running) = await app.Client.GetStatusAsync(runId, timeout.Token);
        Assert.Equal((HttpStatusCode.Accepted, "Running"), (status, running.GetProperty("runtimeStatus").GetString()));

        // The review comes from an external tool through the callback API; the chat is told, then the run publishes.
        using (var answered = await app.Client.PostAsync(
            $"/api/runs/{runId}/requests/{reviewId}/responses",
            ApiClient.Json("""{"answer": {"navigationBar": {"approved": true}, "footer": {"approved": false, "comments": "Show the phone number."}}, "respondent": "user:dee"}"""),
            timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        var accepted = await live.WaitForTypeAsync("accepted", timeout.Token, f => LiveSocket.Text(f, "requestId") == reviewId);
        Assert.Equal("user:dee", LiveSocket.Text(accepted, "respondent"));
        var end = await live.WaitForTypeAsync("end", timeout.Token);
        Assert.Equal("Completed", LiveSocket.Text(end, "status"));
        var output = end.GetProperty("output");
        Assert.Equal(("sunrise", "published", 5), (output.GetProperty("theme").GetString(), output.GetProperty("outcome").GetString(), output.GetProperty("assets").GetArrayLength()));
        Assert.Equal(
            "Published the 'sunrise' design after 2 preview(s) with 5 assets. Navigation bar: approved; footer: changes requested (Show the phone number.); reviewed by user:dee.",
            output.GetProperty("summary").GetString());

        // The accepted review comes after the last asset in the run's one sequence.
        Assert.True(last.GetProperty("seq").GetInt64() < accepted.GetProperty("seq").GetInt64());
    }

    private static List<JsonElement> ChunksOf(LiveSocket live, JsonElement message) =>
        [.. live.Frames.Where(f => LiveSocket.Type(f) == "chunk" && LiveSocket.Text(f, "messageId") == LiveSocket.Text(message, "messageId"))];
}
