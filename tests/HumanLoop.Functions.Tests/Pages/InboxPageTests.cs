using System.Text.RegularExpressions;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Human;
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
    public async Task Inbox_AgeAndDueFilters_LeaveOutTheTasksOutsideThem()
    {
        using var timeout = TestTimeout.Start();
        var tag = "filters" + Guid.NewGuid().ToString("N")[..8];
        var now = TimeProvider.System.GetUtcNow();

        // Rows as the record activity writes them, opened and due hours or days apart, so the real clock's drift during the test does not matter.
        var old = await SeedTaskAsync(tag + " old", now.AddDays(-2), deadline: null, timeout.Token);
        var overdue = await SeedTaskAsync(tag + " overdue", now.AddMinutes(-30), now.AddHours(-1), timeout.Token);
        var dueSoon = await SeedTaskAsync(tag + " due-soon", now.AddMinutes(-5), now.AddHours(2), timeout.Token);
        var dueInDays = await SeedTaskAsync(tag + " due-in-days", now.AddMinutes(-10), now.AddDays(3), timeout.Token);
        var dueLater = await SeedTaskAsync(tag + " due-later", now.AddMinutes(-5), now.AddDays(10), timeout.Token);
        string[] all = [old, overdue, dueSoon, dueInDays, dueLater];
        using var alice = app.NewBrowser();
        await SignInAsync(alice, "alice", string.Empty, timeout.Token);

        async Task AssertListsAsync(string query, params string[] expected)
        {
            var inbox = await GetInboxAsync(alice, query, timeout.Token);
            Assert.Equal(expected, all.Where(p => inbox.Contains(p, StringComparison.Ordinal)).ToArray());
        }

        await AssertListsAsync(string.Empty, all);
        await AssertListsAsync("?age=1h", overdue, dueSoon, dueInDays, dueLater);
        await AssertListsAsync("?age=24h", overdue, dueSoon, dueInDays, dueLater);
        await AssertListsAsync("?age=7d", all);
        await AssertListsAsync("?due=overdue", overdue);
        await AssertListsAsync("?due=24h", dueSoon);
        await AssertListsAsync("?due=7d", dueSoon, dueInDays);
        await AssertListsAsync("?due=none", old);
        await AssertListsAsync("?age=1h&due=none");
        await AssertListsAsync("?status=accepted");
        await AssertListsAsync("?status=all&age=30d&due=7d", dueSoon, dueInDays);

        // Soonest deadline first, the tasks without one last.
        var ordered = await GetInboxAsync(alice, "?status=all", timeout.Token);
        Assert.Equal([overdue, dueSoon, dueInDays, dueLater, old], all.OrderBy(p => ordered.IndexOf(p, StringComparison.Ordinal)).ToArray());
    }

    [Theory]
    [InlineData("?status=someday")]
    [InlineData("?age=2h")]
    [InlineData("?due=tomorrow")]
    [InlineData("?status=open&status=all")]
    [InlineData("?age=1h&age=24h")]
    [InlineData("?due=%00")]
    [InlineData("?status=%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    public async Task Inbox_UnknownFilterValue_Returns400PageNamingTheValuesWithoutTheInput(string query)
    {
        using var timeout = TestTimeout.Start();
        using var alice = app.NewBrowser();
        await SignInAsync(alice, "alice", string.Empty, timeout.Token);

        using var response = await alice.GetAsync("/inbox" + query, timeout.Token);
        var html = await response.Content.ReadAsStringAsync(timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        LinkPagesTests.AssertPageHeaders(response);
        LinkPagesTests.AssertNoActiveContent(html);
        Assert.Contains("Unknown filter", html, StringComparison.Ordinal);
        Assert.Contains("age one of any, 1h, 24h, 7d, 30d", html, StringComparison.Ordinal);
        Assert.DoesNotContain("alert(1)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inbox_EmptyFilterValues_AreTheDefaults()
    {
        using var timeout = TestTimeout.Start();
        var tag = "empty" + Guid.NewGuid().ToString("N")[..8];
        var now = TimeProvider.System.GetUtcNow();
        var open = await SeedTaskAsync(tag + " open", now.AddDays(-40), now.AddHours(-3), timeout.Token);
        using var alice = app.NewBrowser();
        await SignInAsync(alice, "alice", string.Empty, timeout.Token);

        var inbox = await GetInboxAsync(alice, "?status=&age=&due=", timeout.Token);

        Assert.Contains(open, inbox, StringComparison.Ordinal);
        Assert.Contains("<option value=\"open\" selected>", inbox, StringComparison.Ordinal);
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

    /// <summary>Records an open task for alice directly in the task table (no run), opened and due when given; returns its prompt.</summary>
    private async Task<string> SeedTaskAsync(string prompt, DateTimeOffset openedAt, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        var request = new HumanRequest
        {
            Id = "seed-" + Guid.NewGuid().ToString("N")[..12],
            RunId = ApiClient.NewId("inbox-seed"),
            Node = "approve",
            TokenId = string.Empty,
            Kind = HumanStepKind.Approval,
            Prompt = prompt,
            Options = ["approve", "reject"],
            Assignees = ["user:alice"],
            OpenedAt = openedAt,
        };
        await app.Tasks.OpenAsync(LinkTestGraphs.Approval, new OpenedTask(request, JsonSerializer.SerializeToElement(new { seeded = true }), deadline), cancellationToken);
        return prompt;
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
