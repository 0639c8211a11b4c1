using System.Text.RegularExpressions;
using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Runs;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>The inbox and the development sign-in, on the real app (sign-in on) and Azurite.</summary>
[Collection(LinkPagesCollection.Name)]
public sealed partial class InboxPageTests(LinkPagesFixture app)
{
    [Fact]
    public async Task Inbox_NotSignedIn_RedirectsToTheDevelopmentSignIn()
    {
        using var timeout = TestTimeout.Start();
        using var browser = app.NewBrowser();

        using var response = await browser.GetAsync("/inbox?status=all", timeout.Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin/dev?returnUrl=%2Finbox%3Fstatus%3Dall", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SignIn_ThenInbox_ListsTasksByUserAndRoleWithWorkingReviewLinksAndFilters()
    {
        using var timeout = TestTimeout.Start();
        var topic = "inbox" + Guid.NewGuid().ToString("N")[..8];
        var edit = await app.StartAndWaitAsync(LinkTestGraphs.Edit, topic, timeout.Token);
        var approval = await app.StartAndWaitAsync(LinkTestGraphs.Approval, topic, timeout.Token);
        using var bob = app.NewBrowser();
        using var alice = app.NewBrowser();

        var cookie = await SignInAsync(bob, "bob", "editor, writer", timeout.Token);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", string.Empty, StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
        await SignInAsync(alice, "alice", string.Empty, timeout.Token);

        var bobInbox = await GetInboxAsync(bob, string.Empty, timeout.Token);
        Assert.Contains($"Review the piece about {topic}", bobInbox, StringComparison.Ordinal);
        Assert.DoesNotContain($"Publish the piece about {topic}?", bobInbox, StringComparison.Ordinal);
        Assert.Contains("Signed in as bob", bobInbox, StringComparison.Ordinal);
        var aliceInbox = await GetInboxAsync(alice, string.Empty, timeout.Token);
        Assert.Contains($"Review the piece about {topic}", aliceInbox, StringComparison.Ordinal);
        Assert.Contains($"Publish the piece about {topic}?", aliceInbox, StringComparison.Ordinal);

        // Bob's review link is made for the role he holds the task through; answering records him by name.
        var review = ReviewLinkFor(bobInbox, $"Review the piece about {topic}");
        var page = await bob.GetStringAsync(review, timeout.Token);
        using var approve = await bob.PostAsync(review, new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", LinkPagesFixture.AntiforgeryToken(page)),
            new("decision", "approve"),
        ]), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        var final = await app.WaitForFinishedAsync(edit.RunId, timeout.Token);
        var state = final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.Equal("user:bob", state.DecidedBy);
        Assert.False(state.Changed);
        await app.WaitForTaskAsync(edit.RunId, t => t.Status == HumanRequestStatus.Accepted, timeout.Token);

        Assert.DoesNotContain($"Review the piece about {topic}", await GetInboxAsync(bob, string.Empty, timeout.Token), StringComparison.Ordinal);
        var accepted = await GetInboxAsync(bob, "?status=accepted&age=1h", timeout.Token);
        Assert.Contains($"Review the piece about {topic}", accepted, StringComparison.Ordinal);
        Assert.Contains("Approved as is", accepted, StringComparison.Ordinal);
        Assert.Contains($"Publish the piece about {topic}?", await GetInboxAsync(alice, "?due=none&age=24h", timeout.Token), StringComparison.Ordinal);
        Assert.DoesNotContain($"Publish the piece about {topic}?", await GetInboxAsync(alice, "?due=overdue", timeout.Token), StringComparison.Ordinal);

        using var badFilter = await alice.GetAsync("/inbox?status=someday", timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        LinkPagesTests.AssertPageHeaders(badFilter);
        Assert.Equal(RunStatus.Running, (await app.Runs.GetStatusAsync(approval.RunId, cancellationToken: timeout.Token))!.RuntimeStatus);
    }

    [Fact]
    public async Task SignIn_InvalidNameOrForeignReturnUrl_ShowsTheErrorWithTheTypedTextOrReturnsToTheInbox()
    {
        using var timeout = TestTimeout.Start();
        using var browser = app.NewBrowser();
        var form = LinkPagesFixture.AntiforgeryToken(await browser.GetStringAsync("/signin/dev", timeout.Token));

        using var invalid = await browser.PostAsync("/signin/dev", new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", form), new("user", "<b>eve</b>"), new("roles", "editor"),
        ]), timeout.Token);
        var html = await invalid.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("A user name has at most 64 letters", html, StringComparison.Ordinal);
        Assert.Contains("value=\"&lt;b&gt;eve&lt;/b&gt;\"", html, StringComparison.Ordinal);
        Assert.Null(browser.DefaultRequestHeaders.Authorization);

        using var foreign = await browser.PostAsync("/signin/dev", new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", LinkPagesFixture.AntiforgeryToken(html)), new("user", "eve"), new("returnUrl", "//evil.example/inbox"),
        ]), timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, foreign.StatusCode);
        Assert.Equal("/inbox", foreign.Headers.Location!.OriginalString);

        using var noToken = await app.NewBrowser().PostAsync("/signin/dev", new FormUrlEncodedContent([new("user", "eve")]), timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    [Fact]
    public async Task Inbox_TaskWhoseStepTakesNoLinks_IsListedWithItsChannelsAndNoReviewLink()
    {
        using var timeout = TestTimeout.Start();
        var topic = "channels" + Guid.NewGuid().ToString("N")[..8];
        await app.StartAndWaitAsync(LinkTestGraphs.CallbackOnly, topic, timeout.Token);
        using var alice = app.NewBrowser();
        await SignInAsync(alice, "alice", string.Empty, timeout.Token);

        var inbox = await GetInboxAsync(alice, string.Empty, timeout.Token);
        var row = inbox[inbox.IndexOf($"Publish the piece about {topic}?", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("Answered through the console and the callback API", row, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"review\"", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StyleSheet_IsServedByTheApp()
    {
        using var timeout = TestTimeout.Start();
        using var browser = app.NewBrowser();

        using var response = await browser.GetAsync("/assets/humanloop.css", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("textarea.draft", await response.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }

    internal static async Task<string> SignInAsync(HttpClient browser, string user, string roles, CancellationToken cancellationToken)
    {
        var form = LinkPagesFixture.AntiforgeryToken(await browser.GetStringAsync(DevelopmentSignIn.SignInPath, cancellationToken));
        using var response = await browser.PostAsync(DevelopmentSignIn.SignInPath, new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", form), new("user", user), new("roles", roles), new("returnUrl", "/inbox"),
        ]), cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/inbox", response.Headers.Location!.OriginalString);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DevelopmentSignIn.CookieName + "=", StringComparison.Ordinal));
    }

    internal static async Task<string> GetInboxAsync(HttpClient browser, string query, CancellationToken cancellationToken)
    {
        using var response = await browser.GetAsync("/inbox" + query, cancellationToken);
        var html = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {html}");
        LinkPagesTests.AssertPageHeaders(response);
        LinkPagesTests.AssertNoActiveContent(html);
        return html;
    }

    /// <summary>The review link of the inbox row whose prompt starts with <paramref name="prompt"/>.</summary>
    internal static string ReviewLinkFor(string inbox, string prompt)
    {
        var row = inbox[inbox.IndexOf(prompt, StringComparison.Ordinal)..];
        var match = ReviewHref().Match(row);
        Assert.True(match.Success, row);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("<a class=\"review\" href=\"([^\"]+)\"")]
    private static partial Regex ReviewHref();
}
