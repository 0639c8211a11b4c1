using HumanLoop.Durable.Links;
using HumanLoop.Functions.Pages;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>The link pages in a real headless Chromium against the real app on Azurite.</summary>
[Collection(LinkPagesCollection.Name)]
public sealed class LinkPagesBrowserTests(LinkPagesFixture app, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string Hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

    [Fact]
    public async Task ReviewPage_EditRejectedInPlaceThenApproved_KeepsTheTypedTextAndTheRunPublishes()
    {
        using var timeout = TestTimeout.Start(120);
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Edit, Hostile, timeout.Token);
        var url = new Uri(app.BaseAddress, LinkPagesFixture.PathOf(app.Links.Create(task, "user:alice").Review)).ToString();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var console = new List<string>();
        var dialogs = 0;
        page.Console += (_, message) => console.Add(message.Text);
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            _ = dialog.DismissAsync();
        };

        var response = await page.GotoAsync(url);
        Assert.Equal(200, response!.Status);
        Assert.Equal(PageSecurity.ContentSecurityPolicy, await response.HeaderValueAsync("content-security-policy"));
        Assert.Equal("no-referrer", await response.HeaderValueAsync("referrer-policy"));

        // The hostile draft is text in the editor and the page: no element, no script, no alert.
        Assert.Equal($"A short piece about {Hostile}.", await page.InputValueAsync("#value"));
        Assert.Contains(Hostile, await page.TextContentAsync("p.prompt"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(0, await page.Locator("script").CountAsync());

        // The app's own style sheet loads under style-src 'self'.
        Assert.Equal("rgb(36, 87, 197)", await page.EvalOnSelectorAsync<string>("#edit", "e => getComputedStyle(e).backgroundColor"));

        await ScreenshotAsync(page, "review");
        var typed = "Rewritten in the browser: " + new string('z', LinkTestGraphs.MaxLength);
        await page.FillAsync("#value", typed);
        await page.ClickAsync("#edit");
        await page.WaitForSelectorAsync("#error");
        Assert.Contains($"at most {LinkTestGraphs.MaxLength} characters", await page.TextContentAsync("#error"), StringComparison.Ordinal);
        Assert.Equal(typed, await page.InputValueAsync("#value"));
        await ScreenshotAsync(page, "review-invalid");
        Assert.Equal(RunStatus.Running, (await app.Runs.GetStatusAsync(task.RunId, cancellationToken: timeout.Token))!.RuntimeStatus);

        await page.FillAsync("#value", "Rewritten in the browser.");
        await page.ClickAsync("#edit");
        await page.WaitForSelectorAsync("h1:has-text('Answer recorded')");
        Assert.Contains("Approved with edits", await page.ContentAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "review-recorded");

        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        var state = final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.Equal("Published: Rewritten in the browser.", state.Published);
        Assert.Equal("user:alice", state.DecidedBy);
        Assert.Equal(0, dialogs);
        Assert.DoesNotContain(console, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ConfirmPage_OpeningCommitsNothing_ConfirmCommitsAndReopeningShowsTheDecision()
    {
        using var timeout = TestTimeout.Start(120);
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "browsers", timeout.Token);
        var approve = app.Links.Create(task, "user:alice").Actions.Single(a => a.Action == LinkActions.Approve);
        var url = new Uri(app.BaseAddress, LinkPagesFixture.PathOf(approve.Url)).ToString();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        var opened = await page.GotoAsync(url);
        Assert.Equal(200, opened!.Status);
        await page.ReloadAsync();
        var status = await app.Runs.GetStatusAsync(task.RunId, cancellationToken: timeout.Token);
        Assert.Equal(RunStatus.Running, status!.RuntimeStatus);
        Assert.Equal(task.RequestId, Assert.Single(status.OpenRequests).Id);
        Assert.Equal(HumanRequestStatus.Open, (await app.Tasks.GetAsync(task.RunId, task.RequestId, timeout.Token))!.Status);

        await page.ClickAsync("#confirm");
        await page.WaitForSelectorAsync("h1:has-text('Answer recorded')");
        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        Assert.True(final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!.Approved);

        var reopened = await page.GotoAsync(url);
        Assert.Equal(409, reopened!.Status);
        Assert.Equal("This link was already used", (await page.TextContentAsync("h1"))!.Replace(" · HumanLoop", string.Empty, StringComparison.Ordinal));
        Assert.Contains("user:alice", await page.TextContentAsync("dl.facts"), StringComparison.Ordinal);
    }

    // HUMANLOOP_TEST_SCREENSHOTS=<folder> keeps a picture of each page, to look at what a reviewer sees.
    private static async Task ScreenshotAsync(Microsoft.Playwright.IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("HUMANLOOP_TEST_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }
}
