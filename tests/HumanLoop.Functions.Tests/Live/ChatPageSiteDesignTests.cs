using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Live;

/// <summary>
/// The site-design sample (pattern 4) in the chat page, in a real headless Chromium against the real app, engine and
/// Azurite: the brainstorm in the page, then the component review, which goes to the designers by email and callback,
/// shown but not asked in the chat while the assets branch reports its progress there.
/// </summary>
public sealed class ChatPageSiteDesignTests(HumanLoopAppFixture app, ChromiumFixture chromium) : IClassFixture<HumanLoopAppFixture>, IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task ChatPage_SiteDesign_BrainstormInThePage_ReviewElsewhere_AssetsProgressMeanwhile_ThenPublished()
    {
        using var timeout = TestTimeout.Start(240);
        var runId = ApiClient.NewId("site");
        using (var started = await app.Client.StartAsync(SiteDesignGraph.Name, runId, null, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);
        page.SetDefaultTimeout(60_000);
        Assert.Equal(200, (await page.GotoAsync(new Uri(app.BaseAddress, "/chat/" + runId).ToString()))!.Status);

        // The theme question is buttons; free text that names no theme is refused in place.
        await page.WaitForSelectorAsync("li.agent:not(.streaming):has-text(\"harbour: deep navy\")");
        await page.WaitForSelectorAsync("li.prompt:has-text(\"Which theme\")");
        Assert.Equal(SiteDesignGraph.Themes, await page.Locator("#composer button.option").AllTextContentsAsync());
        await page.FillAsync("#reply", "purple please");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("#composer #error:has-text(\"not one of the allowed choices: harbour, meadow, sunrise\")");
        await page.ClickAsync("#composer button.option:text-is(\"sunrise\")");
        await page.WaitForSelectorAsync("li.user:text-is(\"sunrise\")");

        // Free-form feedback; the revised preview streams in; then agreement.
        await page.WaitForSelectorAsync("li.prompt:has-text(\"What should change in preview 1\")");
        await page.FillAsync("#reply", "brighter colors");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("li.agent:not(.streaming):has-text(\"Preview 2 (sunrise, brighter, more saturated colours)\")");
        await page.WaitForSelectorAsync("li.prompt:has-text(\"What should change in preview 2\")");
        await page.FillAsync("#reply", "looks good");
        await page.ClickAsync("#send");

        // The review is shown with where it went, with nothing to answer here; the assets report meanwhile.
        var review = page.Locator("li.prompt:has-text(\"Review the components\")");
        await review.WaitForAsync();
        await page.WaitForSelectorAsync("li.elsewhere:has-text(\"Waiting for an answer by console, callback or email.\")");
        Assert.Equal(0, await page.Locator("#composer form").CountAsync());
        await page.WaitForSelectorAsync("li.agent:has-text(\"Assets 5/5:\")");
        var reviewId = await review.GetAttributeAsync("data-request-id");
        Assert.NotNull(reviewId);
        var (_, running) = await app.Client.GetStatusAsync(runId, timeout.Token);
        Assert.Equal("Running", running.GetProperty("runtimeStatus").GetString());

        // The designers answer through the callback API: the chat is told who answered, and how.
        using (var answered = await app.Client.PostAsync(
            $"/api/runs/{runId}/requests/{reviewId}/responses",
            ApiClient.Json("""{"answer": {"navigationBar": {"approved": true}, "footer": {"approved": true}}, "respondent": "user:dee"}"""),
            timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        await page.WaitForSelectorAsync("li.user:has-text(\"(answered by user:dee via callback)\")");
        await page.WaitForSelectorAsync("li.agent:has-text(\"Published the 'sunrise' design after 2 preview(s) with 5 assets\")");
        await page.WaitForSelectorAsync("li.end");
        var transcript = (await page.Locator("#transcript li").AllTextContentsAsync()).Select(t => t.Trim()).ToList();
        Assert.Equal(5, transcript.Count(t => t.StartsWith("Assets ", StringComparison.Ordinal)));
        Assert.Single(transcript, t => t.Contains("answered by user:dee via callback", StringComparison.Ordinal));
        Assert.DoesNotContain(console, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        var finished = await app.Client.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal("Completed", finished.GetProperty("runtimeStatus").GetString());
    }
}
