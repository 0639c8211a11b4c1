using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Pages;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>
/// Every link of a notice mail, as smtp4dev received it, followed over HTTP: one link per action the step offers, each
/// bound to its action, and a GET of any of them (as a mail scanner's fetch) records nothing.
/// </summary>
[Collection(ArticleReviewCollection.Name)]
public sealed class MailLinkTests(ArticleReviewFixture flow)
{
    [Fact]
    public async Task EditStepMail_OneLinkPerAction_GetOfEveryLinkCommitsNothing_TheEditLinkCommitsOnlyAnEdit()
    {
        using var timeout = TestTimeout.Start(180);
        using var client = flow.NewClient();
        var topic = "Every link " + Guid.NewGuid().ToString("N")[..6];
        var (id, mail) = await flow.StartAndWaitForMailAsync(client, ArticleReviewGraph.Name, topic, timeout.Token);
        var links = ArticleReviewFixture.LinksOf(mail);

        Assert.Equal(["Approve as is", "Edit then approve", "Reject with a reason", "Review"], links.Keys.Order(StringComparer.Ordinal));
        Assert.All(links.Values, link => Assert.Contains($"href=\"{WebUtility.HtmlEncode(link.AbsoluteUri)}\"", mail.HtmlBody, StringComparison.Ordinal));
        using var browser = NewBrowser();
        var pages = await GetEveryLinkTwiceAsync(browser, links, timeout.Token);
        await AssertNothingCommittedAsync(client, id, timeout.Token);

        Assert.Contains("Confirm: Approve as is", pages["Approve as is"], StringComparison.Ordinal);
        var edit = pages["Edit then approve"];
        Assert.Contains("<textarea class=\"draft\" id=\"value\" name=\"value\"", edit, StringComparison.Ordinal);
        Assert.Equal(["edit"], Decisions(edit));
        var reject = pages["Reject with a reason"];
        Assert.Contains("name=\"reason\"", reject, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"value\"", reject, StringComparison.Ordinal);
        Assert.Equal(["reject"], Decisions(reject));
        Assert.Equal(["edit", "approve", "reject"], Decisions(pages["Review"]));

        // The edit link commits an edit only: another decision posted through it is refused and records nothing.
        var editLink = links["Edit then approve"].PathAndQuery;
        using (var approve = await PostAsync(browser, editLink, edit, ("decision", "approve")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, approve.StatusCode);
            Assert.Contains("This link answers with one button only", await approve.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        await AssertNothingCommittedAsync(client, id, timeout.Token);
        using (var edited = await PostAsync(browser, editLink, edit, ("decision", "edit"), ("value", "Edited through the edit link.")))
        {
            Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        }

        var output = (await client.WaitForFinishedAsync(id, timeout.Token)).GetProperty("output");
        Assert.Equal("Edited through the edit link.", output.GetProperty("published").GetString());
    }

    [Fact]
    public async Task ChoiceStepMail_OneLinkPerOption_GetOfEveryLinkCommitsNothing_ConfirmingOneRecordsIt()
    {
        using var timeout = TestTimeout.Start(180);
        using var client = flow.NewClient();
        var topic = "Placement " + Guid.NewGuid().ToString("N")[..6];
        var (id, mail) = await flow.StartAndWaitForMailAsync(client, PlacementGraph.Name, topic, timeout.Token);
        var links = ArticleReviewFixture.LinksOf(mail);

        Assert.Equal(PlacementGraph.Options.Append("Review").Order(StringComparer.Ordinal), links.Keys.Order(StringComparer.Ordinal));
        using var browser = NewBrowser();
        var pages = await GetEveryLinkTwiceAsync(browser, links, timeout.Token);
        await AssertNothingCommittedAsync(client, id, timeout.Token);

        Assert.All(PlacementGraph.Options, option => Assert.Contains("Confirm: " + option, pages[option], StringComparison.Ordinal));
        Assert.Equal(PlacementGraph.Options, Decisions(pages["Review"]));
        using (var confirmed = await PostAsync(browser, links["weekend"].PathAndQuery, pages["weekend"], ("decision", "weekend")))
        {
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        }

        var output = (await client.WaitForFinishedAsync(id, timeout.Token)).GetProperty("output");
        Assert.Equal(("weekend", "user:alice"), (output.GetProperty("placement").GetString(), output.GetProperty("by").GetString()));
        var accepted = Assert.Single(await ArticleReviewFixture.AuditAsync(client, id, timeout.Token));
        Assert.Equal(("Accepted", "email"), (accepted.GetProperty("outcome").GetString(), accepted.GetProperty("channel").GetString()));
    }

    private HttpClient NewBrowser() =>
        new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = flow.BaseAddress };

    /// <summary>GETs every link twice (a scanner's fetch, then the person's look) and returns each page as the second GET showed it.</summary>
    private static async Task<Dictionary<string, string>> GetEveryLinkTwiceAsync(HttpClient browser, IReadOnlyDictionary<string, Uri> links, CancellationToken cancellationToken)
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (label, link) in links)
        {
            for (var i = 0; i < 2; i++)
            {
                using var response = await browser.GetAsync(link.PathAndQuery, cancellationToken);
                pages[label] = await response.Content.ReadAsStringAsync(cancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET '{label}': {(int)response.StatusCode} {pages[label]}");
            }
        }

        return pages;
    }

    /// <summary>The run still waits on its one request with no attempt made, and its audit holds no answer at all.</summary>
    private static async Task AssertNothingCommittedAsync(HttpClient client, string id, CancellationToken cancellationToken)
    {
        var (status, body) = await client.GetStatusAsync(id, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var open = Assert.Single(body.GetProperty("customStatus").GetProperty("openRequests").EnumerateArray());
        Assert.Equal(0, open.GetProperty("attempts").GetInt32());
        Assert.Empty(await ArticleReviewFixture.AuditAsync(client, id, cancellationToken));
    }

    /// <summary>The values of the buttons a page's form posts as its decision, in order.</summary>
    private static string[] Decisions(string html) =>
        [.. System.Text.RegularExpressions.Regex.Matches(html, "<button type=\"submit\"[^>]* name=\"decision\" value=\"([^\"]+)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, string page, params (string Name, string Value)[] fields) =>
        browser.PostAsync(path, new FormUrlEncodedContent(
            [new("__RequestVerificationToken", LinkPagesFixture.AntiforgeryToken(page)), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]));
}
