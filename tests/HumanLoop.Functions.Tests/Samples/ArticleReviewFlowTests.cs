using HumanLoop.Durable.Notifications;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Samples;

/// <summary>
/// The article-review flow end to end on real parts (<see cref="ArticleReviewFixture"/>): the run starts over HTTP, the
/// editor's email arrives in smtp4dev, its links are followed in a real headless Chromium, and the run goes on.
/// </summary>
[Collection(ArticleReviewCollection.Name)]
public sealed class ArticleReviewFlowTests(ArticleReviewFixture flow, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task ArticleReview_EditorGetsTheEmailAndWebhook_ApprovalThroughTheApiPublishes()
    {
        using var timeout = TestTimeout.Start(180);
        using var client = flow.NewClient();
        var topic = "Queues <b>&</b> timers " + Guid.NewGuid().ToString("N")[..6];
        var id = await ArticleReviewFixture.StartAsync(client, ArticleReviewGraph.Name, topic, timeout.Token);

        var requestId = await client.WaitForOpenRequestAsync(id, timeout.Token);
        var mail = Assert.Single(await flow.WaitForMailAsync(flow.Alice, topic, 1, timeout.Token));
        Assert.StartsWith($"Your review is requested: Review the article on '{topic}' (draft 1 of at most 3)", mail.Subject, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(topic) + ": what a careful team should know", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("/review/", mail.TextBody, StringComparison.Ordinal);

        // The receiver checks the signature as the docs tell receivers to: over the raw body and the timestamp.
        var delivery = await WaitForDeliveryAsync(id, timeout.Token);
        Assert.True(WebhookSignature.Verify(ArticleReviewFixture.WebhookSecret, delivery.Timestamp, delivery.Body, delivery.Signature, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("another-secret", delivery.Timestamp, delivery.Body, delivery.Signature, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(ArticleReviewFixture.WebhookSecret, delivery.Timestamp, delivery.Body.Replace("review", "reviev", StringComparison.Ordinal), delivery.Signature, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.Equal(requestId, JsonDocument.Parse(delivery.Body).RootElement.GetProperty("requestId").GetString());

        using (var answer = await client.PostAsync(
            $"/api/runs/{Uri.EscapeDataString(id)}/requests/{Uri.EscapeDataString(requestId)}/respond",
            ApiClient.Json("""{"answer": "/approve", "respondent": "user:alice"}"""),
            timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var finished = await client.WaitForFinishedAsync(id, timeout.Token);
        var result = finished.GetProperty("output");
        Assert.Equal("published", result.GetProperty("outcome").GetString());
        Assert.Equal("Published after 1 draft(s), approved by user:alice.", result.GetProperty("note").GetString());
        Assert.Equal(1, await flow.CountMailAsync(flow.Alice, topic, timeout.Token));
    }

    [Fact]
    public async Task EmailApproveLink_InChromium_OpeningCommitsNothing_ConfirmPublishes_AuditSaysEmail_ReopeningShowsTheDecision()
    {
        using var timeout = TestTimeout.Start(180);
        using var client = flow.NewClient();
        var topic = "Link approvals " + Guid.NewGuid().ToString("N")[..6];
        var id = await ArticleReviewFixture.StartAsync(client, ArticleReviewGraph.Name, topic, timeout.Token);
        var mail = Assert.Single(await flow.WaitForMailAsync(flow.Alice, topic, 1, timeout.Token));
        var approve = ArticleReviewFixture.LinksOf(mail)["Approve as is"];
        Assert.Equal(flow.BaseAddress.Authority, approve.Authority);

        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // A mail scanner's fetch and the person's own look: the confirm page, and nothing recorded.
        var opened = await page.GotoAsync(approve.AbsoluteUri);
        Assert.Equal(200, opened!.Status);
        Assert.StartsWith("Confirm: Approve as is", await page.TextContentAsync("h1"), StringComparison.Ordinal);
        await page.ReloadAsync();
        await AssertStillOpenAsync(client, id, timeout.Token);

        await page.ClickAsync("#confirm");
        await page.WaitForSelectorAsync("h1:has-text('Answer recorded')");
        var finished = await client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("Completed", finished.GetProperty("runtimeStatus").GetString());
        Assert.Equal("published", finished.GetProperty("output").GetProperty("outcome").GetString());
        Assert.Equal("Published after 1 draft(s), approved by user:alice.", finished.GetProperty("output").GetProperty("note").GetString());

        var accepted = Assert.Single(await ArticleReviewFixture.AuditAsync(client, id, timeout.Token), e => e.GetProperty("outcome").GetString() == "Accepted");
        Assert.Equal("user:alice", accepted.GetProperty("respondent").GetString());
        Assert.Equal("email", accepted.GetProperty("channel").GetString());

        await AssertUsedAsync(page, approve, "Approved as is");
    }

    [Fact]
    public async Task EmailReviewLink_InChromium_RejectThenTheSecondMailsReviewPageEditAndApprove_PublishesTheEdit_OldLinkRefused()
    {
        using var timeout = TestTimeout.Start(240);
        using var client = flow.NewClient();
        var topic = "Review pages " + Guid.NewGuid().ToString("N")[..6];
        var id = await ArticleReviewFixture.StartAsync(client, ArticleReviewGraph.Name, topic, timeout.Token);
        var first = ArticleReviewFixture.LinksOf(Assert.Single(await flow.WaitForMailAsync(flow.Alice, topic, 1, timeout.Token)));
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // Draft 1: reject with a reason from the review page.
        Assert.Equal(200, (await page.GotoAsync(first["Review"].AbsoluteUri))!.Status);
        Assert.Contains(topic, await page.InputValueAsync("#value"), StringComparison.Ordinal);
        await AssertStillOpenAsync(client, id, timeout.Token);
        await page.FillAsync("#reason", "Add an example.");
        await page.ClickAsync("#reject");
        await page.WaitForSelectorAsync("h1:has-text('Answer recorded')");

        // Draft 2 arrives by mail; the first mail's links answer nothing any more.
        var mails = await flow.WaitForMailAsync(flow.Alice, topic, 2, timeout.Token);
        Assert.Contains("draft 2 of at most 3", mails[1].Subject, StringComparison.Ordinal);
        var second = ArticleReviewFixture.LinksOf(mails[1]);
        var old = await page.GotoAsync(first["Approve as is"].AbsoluteUri);
        Assert.Equal(409, old!.Status);
        Assert.StartsWith("This task was already answered", await page.TextContentAsync("h1"), StringComparison.Ordinal);
        Assert.Contains("Rejected: Add an example.", await page.TextContentAsync("dl.facts"), StringComparison.Ordinal);
        await AssertStillOpenAsync(client, id, timeout.Token);

        // Draft 2: edit it in the page's editor and approve.
        Assert.Equal(200, (await page.GotoAsync(second["Review"].AbsoluteUri))!.Status);
        Assert.Contains("Add an example.", await page.InputValueAsync("#value"), StringComparison.Ordinal);
        await page.FillAsync("#value", "The edited article, with an example.");
        await page.ClickAsync("#edit");
        await page.WaitForSelectorAsync("h1:has-text('Answer recorded')");
        Assert.Contains("Approved with edits", await page.TextContentAsync("dl.facts"), StringComparison.Ordinal);

        var finished = await client.WaitForFinishedAsync(id, timeout.Token);
        var output = finished.GetProperty("output");
        Assert.Equal("published", output.GetProperty("outcome").GetString());
        Assert.Equal("The edited article, with an example.", output.GetProperty("published").GetString());
        Assert.Equal("Published after 2 draft(s), edited and approved by user:alice.", output.GetProperty("note").GetString());

        var answers = (await ArticleReviewFixture.AuditAsync(client, id, timeout.Token)).Where(e => e.GetProperty("outcome").GetString() == "Accepted").ToList();
        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => Assert.Equal(("user:alice", "email"), (a.GetProperty("respondent").GetString(), a.GetProperty("channel").GetString())));

        await AssertUsedAsync(page, second["Review"], "Approved with edits");
        Assert.Equal(2, await flow.CountMailAsync(flow.Alice, topic, timeout.Token));
    }

    [Fact]
    public async Task QuickTimers_RemindTwiceEscalateToTheChiefThenShelve_EachNoticeMailedOnce_LinksRefusedAfterwards()
    {
        using var timeout = TestTimeout.Start(240);
        using var client = flow.NewClient();
        var topic = "Timers " + Guid.NewGuid().ToString("N")[..6];
        var id = await ArticleReviewFixture.StartAsync(client, ArticleReviewFixture.Quick, topic, timeout.Token);
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        // Once the task has passed to the chief, the link Alice was mailed answers nothing (403), though it has not expired.
        var escalation = Assert.Single(await flow.WaitForMailAsync(flow.Chief, topic, 1, timeout.Token));
        Assert.StartsWith("Escalated to you: ", escalation.Subject, StringComparison.Ordinal);
        var opened = (await flow.WaitForMailAsync(flow.Alice, topic, 1, timeout.Token)).Single(m => m.Subject!.StartsWith("Your review", StringComparison.Ordinal));
        using (var escalated = await browser.GetAsync(ArticleReviewFixture.LinksOf(opened)["Approve as is"], timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, escalated.StatusCode);
            Assert.Contains("escalated to other reviewers", await escalated.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        var finished = await client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("Completed", finished.GetProperty("runtimeStatus").GetString());
        Assert.Equal("shelved", finished.GetProperty("output").GetProperty("outcome").GetString());
        Assert.Equal("Shelved: nobody reviewed draft 1 within 20 seconds.", finished.GetProperty("output").GetProperty("note").GetString());

        // Alice: the request and two reminders; the chief: the escalation and the two reminders of their own request. Each once.
        var toAlice = await flow.WaitForMailAsync(flow.Alice, topic, 3, timeout.Token);
        var toChief = await flow.WaitForMailAsync(flow.Chief, topic, 3, timeout.Token);
        Assert.Equal(["Reminder 1", "Reminder 2", "Your review is requested"], Kinds(toAlice));
        Assert.Equal(["Escalated to you", "Reminder 1", "Reminder 2"], Kinds(toChief));
        Assert.Equal(3, await flow.CountMailAsync(flow.Alice, topic, timeout.Token));
        Assert.Equal(3, await flow.CountMailAsync(flow.Chief, topic, timeout.Token));

        // The chief's link has expired with the task's deadline (410), and the escalated one still refuses.
        using (var timedOut = await browser.GetAsync(ArticleReviewFixture.LinksOf(escalation)["Approve as is"], timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Gone, timedOut.StatusCode);
        }

        var (_, history) = await client.GetStatusAsync(id, timeout.Token, "?showHistory=true");
        var kinds = history.GetProperty("historyEvents").EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).ToList();
        Assert.Equal(4, kinds.Count(k => k == "ReminderDue"));
        Assert.Single(kinds, k => k == "Escalated");
        Assert.DoesNotContain("InputAccepted", kinds);

        static string[] Kinds(IEnumerable<MimeKit.MimeMessage> mails) =>
            [.. mails.Select(m => m.Subject!.Split(':')[0]).Order(StringComparer.Ordinal)];
    }

    // A used link shows what it decided, who and when, with no form, and refuses again.
    private static async Task AssertUsedAsync(Microsoft.Playwright.IPage page, Uri link, string decision)
    {
        var reopened = await page.GotoAsync(link.AbsoluteUri);
        Assert.Equal(409, reopened!.Status);
        Assert.StartsWith("This link was already used", await page.TextContentAsync("h1"), StringComparison.Ordinal);
        var facts = await page.TextContentAsync("dl.facts");
        Assert.Contains(decision, facts, StringComparison.Ordinal);
        Assert.Contains("user:alice", facts, StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d UTC", facts);
        Assert.Equal(0, await page.Locator("form.answer").CountAsync());
    }

    private static async Task AssertStillOpenAsync(HttpClient client, string id, CancellationToken cancellationToken)
    {
        // A request's mail goes out from the activity that opens it, a moment before the run's status lists it.
        await client.WaitForOpenRequestAsync(id, cancellationToken);
        var (status, body) = await client.GetStatusAsync(id, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(1, body.GetProperty("customStatus").GetProperty("openRequests").GetArrayLength());
        Assert.Equal(0, body.GetProperty("customStatus").GetProperty("openRequests")[0].GetProperty("attempts").GetInt32());
    }

    private async Task<WebhookReceiver.Delivery> WaitForDeliveryAsync(string runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (flow.Webhooks.All.FirstOrDefault(d => d.Body.Contains($"\"runId\":\"{runId}\"", StringComparison.Ordinal)) is { } delivery)
            {
                return delivery;
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
