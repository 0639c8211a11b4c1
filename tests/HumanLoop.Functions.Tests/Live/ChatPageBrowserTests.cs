using HumanLoop.Functions.Pages;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using Microsoft.Playwright;

namespace HumanLoop.Functions.Tests.Live;

/// <summary>The chat page in a real headless Chromium against the real app, engine and Azurite.</summary>
public sealed class ChatPageBrowserTests(HumanLoopAppFixture app, ChromiumFixture chromium) : IClassFixture<HumanLoopAppFixture>, IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task ChatPage_Conversation_RepromptsInPlace_StreamsReplies_SurvivesADropAndAReload()
    {
        using var timeout = TestTimeout.Start(240);
        await using var relay = new TcpRelay(app.BaseAddress);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);
        page.SetDefaultTimeout(60_000);

        // Started from the page itself, as a person would.
        var start = await page.GotoAsync(new Uri(relay.Address, ChatPage.Path).ToString());
        Assert.Equal(200, start!.Status);
        await page.ClickAsync("#start");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/chat/chat-"));
        var runId = page.Url.Split('/')[^1];
        var response = await page.ReloadAsync();
        Assert.Equal(PageSecurity.ChatContentSecurityPolicy, await response!.HeaderValueAsync("content-security-policy"));

        await page.WaitForSelectorAsync("li.agent:has-text(\"password-reset assistant\")");
        await page.WaitForSelectorAsync("li.prompt:has-text(\"existing account\")");
        Assert.Equal(["existing", "new"], await page.Locator("#composer button.option").AllTextContentsAsync());

        // Unmappable free text: refused in place, the choice stays.
        await page.FillAsync("#reply", "bananas");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("#composer #error:has-text(\"not one of the allowed choices: existing, new\")");
        Assert.Equal(2, await page.Locator("#composer button.option").CountAsync());

        await page.FillAsync("#reply", "I have an existing account");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("li.user:text-is(\"existing\")");
        await page.WaitForSelectorAsync("li.prompt:has-text(\"What is your username\")");
        Assert.Equal(SupportChatGraph.UsernamePattern, await page.GetAttributeAsync("#reply", "pattern"));

        await page.FillAsync("#reply", "no spaces allowed");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("#composer #error:has-text(\"must be a username\")");

        // The network drops; meanwhile the username comes through the API. The page reconnects and catches up.
        var connections = relay.Accepted;
        relay.DropAll();
        await page.WaitForFunctionAsync("() => document.getElementById('chat').dataset.reconnects >= '1'");
        using (var answer = await app.Client.PostAsync($"/api/runs/{runId}/requests/username/respond", ApiClient.Json("""{"answer":"alice.smith","messageId":"browser-username"}"""), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await page.WaitForSelectorAsync("li.agent:not(.streaming):has-text(\"reset link to the email address on file for alice.smith\")");
        await page.WaitForSelectorAsync("li.prompt:has-text(\"Anything else\")");
        Assert.True(relay.Accepted > connections, "The page did not reconnect.");
        var beforeReload = await Transcript(page);
        Assert.Single(beforeReload, t => t.Contains("on file for alice.smith", StringComparison.Ordinal));
        Assert.Single(beforeReload, t => t.StartsWith("alice.smith (answered by anonymous via http)", StringComparison.Ordinal));

        // A reload replays the run's log into an empty page: the same transcript, nothing lost or repeated.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("li.prompt:has-text(\"Anything else\")");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#transcript li').length >= {beforeReload.Count}");
        Assert.Equal(beforeReload, await Transcript(page));

        await page.FillAsync("#reply", "How long is the link valid?");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("li.agent:not(.streaming):has-text(\"Reset links expire after one hour\")");
        await page.WaitForSelectorAsync("li.prompt:nth-last-child(1):has-text(\"Anything else\")");
        await page.FillAsync("#reply", "done");
        await page.ClickAsync("#send");
        await page.WaitForSelectorAsync("li.end");
        Assert.Contains("Goodbye!", string.Join("\n", await Transcript(page)), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#composer form").CountAsync());
        Assert.DoesNotContain(console, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        // The end frame is the run's recorded completion; the engine's own status follows a moment later.
        var finished = await app.Client.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal("Completed", finished.GetProperty("runtimeStatus").GetString());
    }

    private static async Task<List<string>> Transcript(IPage page) =>
        [.. (await page.Locator("#transcript li").AllTextContentsAsync()).Select(t => t.Trim())];
}
