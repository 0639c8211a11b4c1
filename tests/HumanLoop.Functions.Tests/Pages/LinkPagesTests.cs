using HumanLoop.Durable.Audit;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Functions.Pages;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Runs;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>The link pages over HTTP on the real app and Azurite: what GET shows, what POST commits, and every refusal.</summary>
[Collection(LinkPagesCollection.Name)]
public sealed class LinkPagesTests(LinkPagesFixture app)
{
    private const string Hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

    [Fact]
    public async Task ReviewGet_OpenTask_ShowsPromptDraftAndFormEncodedUnderStrictHeadersAndCommitsNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Edit, Hostile, timeout.Token);
        var links = app.Links.Create(task, "user:alice");
        using var browser = app.NewBrowser();

        using var response = await browser.GetAsync(LinkPagesFixture.PathOf(links.Review), timeout.Token);
        var html = await response.Content.ReadAsStringAsync(timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertPageHeaders(response);
        AssertNoActiveContent(html);
        Assert.Contains("A short piece about &lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.", html, StringComparison.Ordinal);
        Assert.Contains("name=\"value\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"edit\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"approve\"", html, StringComparison.Ordinal);
        await AssertUnchangedAsync(task, timeout.Token);
    }

    [Fact]
    public async Task ReviewPost_InvalidThenValidEdit_ShowsTheErrorWithTheTypedTextThenRecordsTheEditAndTheRunPublishes()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Edit, "harbours", timeout.Token);
        var path = LinkPagesFixture.PathOf(app.Links.Create(task, "role:editor").Review);
        using var browser = app.NewBrowser();
        var form = LinkPagesFixture.AntiforgeryToken(await browser.GetStringAsync(path, timeout.Token));
        var tooLong = "<b>x</b>" + new string('y', LinkTestGraphs.MaxLength);

        using var invalid = await PostAsync(browser, path, form, ("decision", "edit"), ("value", tooLong));
        var invalidHtml = await invalid.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains($"at most {LinkTestGraphs.MaxLength} characters (it has {tooLong.Length})", invalidHtml, StringComparison.Ordinal);
        Assert.Contains(">&lt;b&gt;x&lt;/b&gt;yyy", invalidHtml, StringComparison.Ordinal);
        AssertNoActiveContent(invalidHtml);
        await AssertUnchangedAsync(task, timeout.Token);
        Assert.Null(await app.Services.GetRequiredService<UsedLinkStore>().GetAsync(TokenId(path)));

        using var valid = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(invalidHtml), ("decision", "edit"), ("value", "Harbours, edited.\r\nSecond line."));
        var validHtml = await valid.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Contains("Approved with edits", validHtml, StringComparison.Ordinal);
        Assert.Contains("role:editor", validHtml, StringComparison.Ordinal);

        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        Assert.Equal(RunStatus.Completed, final.RuntimeStatus);
        var state = final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.Equal("Published: Harbours, edited.\nSecond line.", state.Published);
        Assert.True(state.Changed);
        Assert.Equal("role:editor", state.DecidedBy);
        var closed = await app.WaitForTaskAsync(task.RunId, t => t.Status == HumanRequestStatus.Accepted, timeout.Token);
        Assert.Equal(LinkPages.Channel, closed.AnsweredVia);
    }

    [Fact]
    public async Task ActGet_NeverCommits_PostCommitsOnceAndTheUsedLinkShowsWhatWhoAndWhen()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "rivers", timeout.Token);
        var approve = app.Links.Create(task, "user:alice").Actions.Single(a => a.Action == LinkActions.Approve);
        var path = LinkPagesFixture.PathOf(approve.Url);
        using var browser = app.NewBrowser();

        // A mail scanner's prefetch: any number of GETs, nothing recorded.
        string html = string.Empty;
        for (var i = 0; i < 3; i++)
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            AssertPageHeaders(get);
            html = await get.Content.ReadAsStringAsync(timeout.Token);
        }

        Assert.Contains("Confirm: Approve", html, StringComparison.Ordinal);
        await AssertUnchangedAsync(task, timeout.Token);

        using var post = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(html), ("decision", "approve"));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        var state = final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.True(state.Approved);
        Assert.Equal("user:alice", state.DecidedBy);
        Assert.Equal("Published: A short piece about rivers.", state.Published);

        using var again = await browser.GetAsync(path, timeout.Token);
        var usedHtml = await again.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("This link was already used", usedHtml, StringComparison.Ordinal);
        Assert.Contains("<dd>Approved</dd>", usedHtml, StringComparison.Ordinal);
        Assert.Contains("<dd>user:alice</dd>", usedHtml, StringComparison.Ordinal);
        Assert.Matches(@"<dt>When</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC</dd>", usedHtml);
        using var repost = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(html), ("decision", "approve"));
        Assert.Equal(HttpStatusCode.Conflict, repost.StatusCode);

        // The GETs record nothing; the answer posted through the used link is audited as a duplicate.
        await AssertRefusalsAsync(task.RunId, (task.RequestId, nameof(ResponseStatus.Duplicate), "user:alice", "This link was already used"));
    }

    [Fact]
    public async Task ActPost_TwoClicksAtOnce_OneAnswersAndTheOtherIsRefused()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "doubleclick", timeout.Token);
        var path = LinkPagesFixture.PathOf(app.Links.Create(task, "user:alice").Actions[0].Url);
        using var browser = app.NewBrowser();
        var form = LinkPagesFixture.AntiforgeryToken(await browser.GetStringAsync(path, timeout.Token));

        var posts = await Task.WhenAll(PostAsync(browser, path, form, ("decision", "approve")), PostAsync(browser, path, form, ("decision", "approve")));
        try
        {
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], posts.Select(p => p.StatusCode).OrderBy(c => (int)c).ToArray());
            await app.WaitForFinishedAsync(task.RunId, timeout.Token);
            var events = await app.Runs.GetEventsAsync(task.RunId, cancellationToken: timeout.Token);
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
            Assert.DoesNotContain(events, e => e.Kind == RunEventKind.InputRejected);
        }
        finally
        {
            foreach (var post in posts)
            {
                post.Dispose();
            }
        }
    }

    [Fact]
    public async Task ActPost_RejectWithoutReasonThenWithOne_ShowsTheStepsMessageThenRecordsTheRejection()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "lakes", timeout.Token);
        var path = LinkPagesFixture.PathOf(app.Links.Create(task, "user:alice").Actions.Single(a => a.Action == LinkActions.Reject).Url);
        using var browser = app.NewBrowser();
        var html = await browser.GetStringAsync(path, timeout.Token);
        Assert.Contains("name=\"reason\"", html, StringComparison.Ordinal);

        using var noReason = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(html), ("decision", "reject"), ("reason", "  "));
        var noReasonHtml = await noReason.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("A rejection needs a reason", noReasonHtml, StringComparison.Ordinal);
        await AssertUnchangedAsync(task, timeout.Token);

        using var withReason = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(noReasonHtml), ("decision", "reject"), ("reason", "Needs \"sources\" <b>first</b>"));
        Assert.Equal(HttpStatusCode.OK, withReason.StatusCode);
        Assert.Contains("Rejected: Needs &quot;sources&quot; &lt;b&gt;first&lt;/b&gt;", await withReason.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        var state = (await app.WaitForFinishedAsync(task.RunId, timeout.Token)).Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.False(state.Approved);
        Assert.Equal("Needs \"sources\" <b>first</b>", state.Reason);
        Assert.Null(state.Published);
    }

    [Fact]
    public async Task ActPost_WithoutAntiforgeryToken_Returns400AndCommitsNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "dunes", timeout.Token);
        var path = LinkPagesFixture.PathOf(app.Links.Create(task, "user:alice").Actions[0].Url);
        using var browser = app.NewBrowser();
        _ = await browser.GetStringAsync(path, timeout.Token);

        using var forged = await browser.PostAsync(path, new FormUrlEncodedContent([new("decision", "approve")]), timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("nothing was recorded", await forged.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        await AssertUnchangedAsync(task, timeout.Token);
    }

    [Fact]
    public async Task Links_ForgedMalformedOrForAnotherPage_Return400AndChangeNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "glaciers", timeout.Token);
        var links = app.Links.Create(task, "user:alice");
        var review = links.Review.AbsolutePath["/review/".Length..];
        var altered = review[..20] + (review[20] == 'A' ? 'B' : 'A') + review[21..];
        var otherKeyRing = new LinkTokenCodec(new EphemeralDataProtectionProvider()).Protect(new LinkToken
        {
            Id = LinkTokenCodec.NewId(),
            RunId = task.RunId,
            RequestId = task.RequestId,
            Action = LinkToken.ReviewAction,
            Assignee = "user:alice",
            EscalationLevel = 0,
            IssuedAt = DateTimeOffset.UnixEpoch,
            ExpiresAt = DateTimeOffset.MaxValue.AddDays(-1),
        });
        using var browser = app.NewBrowser();

        foreach (var path in new[]
        {
            "/review/not-a-token", "/review/" + altered, "/review/" + otherKeyRing, "/review/" + new string('A', 5000),
            "/act/" + review, "/review/" + links.Actions[0].Url.AbsolutePath["/act/".Length..], "/act/%F0%9F%98%80",
        })
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            Assert.True(get.StatusCode == HttpStatusCode.BadRequest, $"GET {path[..Math.Min(path.Length, 40)]}: {(int)get.StatusCode}");
            AssertPageHeaders(get);
            Assert.Contains("This link is not valid", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
            using var post = await browser.PostAsync(path, new FormUrlEncodedContent([new("decision", "approve")]), timeout.Token);
            Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        }

        await AssertUnchangedAsync(task, timeout.Token);

        // Only the genuine links used on the wrong page name the task: the damaged and foreign ones leave no row.
        await AssertRefusalsAsync(
            task.RunId,
            (task.RequestId, nameof(ResponseStatus.Rejected), "user:alice", "This link is not valid: This link opens the review page, not a quick action."),
            (task.RequestId, nameof(ResponseStatus.Rejected), "user:alice", "This link is not valid: This link is a quick action, not a review link."));
    }

    [Fact]
    public async Task Links_ForAnotherAssigneeOrEscalatedAway_Return403AndChangeNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Edit, "canals", timeout.Token);
        var mallory = app.Links.Create(task, "user:mallory");
        var alice = app.Links.Create(task, "user:alice");
        using var browser = app.NewBrowser();

        using (var get = await browser.GetAsync(LinkPagesFixture.PathOf(mallory.Review), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Contains("not assigned to the person this link was sent to", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        using (var post = await PostAsync(browser, LinkPagesFixture.PathOf(mallory.Actions[0].Url), "x", ("decision", "approve")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        await AssertUnchangedAsync(task, timeout.Token);

        // One invalid answer exhausts the step's attempts: it escalates to user chief at level 1.
        await app.Runs.RaiseEventAsync(task.RunId, task.RequestId, JsonSerializer.SerializeToElement(42), "user:alice", timeout.Token);
        var escalated = await app.WaitForTaskAsync(task.RunId, t => t.Status == HumanRequestStatus.Open && t.EscalationLevel == 1, timeout.Token);
        Assert.Equal(["user:chief"], escalated.Assignees.ToArray());
        var before = await app.Runs.GetStatusAsync(task.RunId, cancellationToken: timeout.Token);

        foreach (var path in new[] { LinkPagesFixture.PathOf(alice.Review), LinkPagesFixture.PathOf(alice.Actions[0].Url) })
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Contains("escalated to other reviewers", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
            using var post = await PostAsync(browser, path, "x", ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        // A level-0 token naming the new request is refused too: it was not sent at this level.
        var stale = Forge(escalated.RunId, escalated.RequestId, LinkToken.ReviewAction, "user:chief", 0, escalated.OpenedAt, escalated.OpenedAt.AddDays(1));
        using (var get = await browser.GetAsync("/review/" + stale, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        }

        var after = await app.Runs.GetStatusAsync(task.RunId, cancellationToken: timeout.Token);
        Assert.Equal(RunStatus.Running, after!.RuntimeStatus);
        Assert.Equal(before!.OpenRequests.Select(r => r.Id), after.OpenRequests.Select(r => r.Id));
        Assert.Equal(HumanRequestStatus.Open, (await app.Tasks.GetAsync(escalated.RunId, escalated.RequestId, timeout.Token))!.Status);

        using var chief = await browser.GetAsync(LinkPagesFixture.PathOf(app.Links.Create(escalated, "user:chief").Review), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, chief.StatusCode);
        Assert.Contains("level 1", await chief.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        await AssertRefusalsAsync(
            task.RunId,
            (task.RequestId, AnswerAuditEntry.Forbidden, "user:mallory", "This link is no longer yours to use: This task is not assigned"),
            (task.RequestId, AnswerAuditEntry.Forbidden, "user:alice", "This link is no longer yours to use: The task was escalated"),
            (task.RequestId, AnswerAuditEntry.Forbidden, "user:alice", "This link is no longer yours to use: The task was escalated"));
    }

    [Fact]
    public async Task Links_OfARoleMemberTheDirectoryLists_AreAccepted_AndRecordedAsThatPerson()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Edit, "estuaries", timeout.Token);
        var path = LinkPagesFixture.PathOf(app.Links.Create(task, "user:erin").Actions.Single(a => a.Action == LinkActions.Approve).Url);
        using var browser = app.NewBrowser();

        using var get = await browser.GetAsync(path, timeout.Token);
        var html = await get.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        await AssertUnchangedAsync(task, timeout.Token);

        using var post = await PostAsync(browser, path, LinkPagesFixture.AntiforgeryToken(html), ("decision", "approve"));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        Assert.Equal("user:erin", final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!.DecidedBy);
    }

    [Fact]
    public async Task Links_StepWithoutTheEmailChannel_Return403OnGetAndPost_AndTheRunStillTakesItsCallback()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.CallbackOnly, "moorland", timeout.Token);
        var links = app.Links.Create(task, "user:alice");
        using var browser = app.NewBrowser();

        foreach (var path in new[] { LinkPagesFixture.PathOf(links.Review), LinkPagesFixture.PathOf(links.Actions[0].Url) })
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            var html = await get.Content.ReadAsStringAsync(timeout.Token);
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            AssertPageHeaders(get);
            Assert.Contains("This task does not take answers from links", html, StringComparison.Ordinal);
            Assert.Contains("answered through the console and the callback API only", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
            using var post = await PostAsync(browser, path, "x", ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        await AssertUnchangedAsync(task, timeout.Token);
        var outcome = await app.Runs.RespondAsync(task.RunId, task.RequestId, JsonSerializer.SerializeToElement("approve"), "user:alice", "callback", cancellationToken: timeout.Token);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        Assert.True((await app.WaitForFinishedAsync(task.RunId, timeout.Token)).Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!.Approved);
    }

    [Fact]
    public async Task Links_NamingAnotherRunsRequest_Return410AndChangeNeitherRun()
    {
        using var timeout = TestTimeout.Start();
        var mine = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "fjords", timeout.Token);
        var other = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "deltas", timeout.Token);
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var crossed = Forge(mine.RunId, other.RequestId, LinkActions.Approve, "user:alice", 0, now, now.AddDays(1));
        using var browser = app.NewBrowser();

        using (var get = await browser.GetAsync("/act/" + crossed, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Gone, get.StatusCode);
            Assert.Contains("This task no longer exists", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        using (var post = await PostAsync(browser, "/act/" + crossed, "x", ("decision", "approve")))
        {
            Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
        }

        await AssertUnchangedAsync(mine, timeout.Token);
        await AssertUnchangedAsync(other, timeout.Token);

        // Audited under the run the token names, with the request it names; the other run's audit is untouched.
        await AssertRefusalsAsync(mine.RunId, (other.RequestId, nameof(ResponseStatus.Expired), "user:alice", "This task no longer exists"));
        await AssertRefusalsAsync(other.RunId);
    }

    [Fact]
    public async Task Links_TaskAlreadyAnswered_Return409WithTheDecisionAndChangeNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "forests", timeout.Token);
        var links = app.Links.Create(task, "user:alice");
        var outcome = await app.Runs.RespondAsync(task.RunId, task.RequestId, JsonSerializer.SerializeToElement("reject: off topic"), "user:alice", "http", cancellationToken: timeout.Token);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        await app.WaitForTaskAsync(task.RunId, t => t.Status == HumanRequestStatus.Accepted, timeout.Token);
        using var browser = app.NewBrowser();

        foreach (var path in new[] { LinkPagesFixture.PathOf(links.Review), LinkPagesFixture.PathOf(links.Actions[0].Url) })
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            var html = await get.Content.ReadAsStringAsync(timeout.Token);
            Assert.Equal(HttpStatusCode.Conflict, get.StatusCode);
            Assert.Contains("This task was already answered", html, StringComparison.Ordinal);
            Assert.Contains("<dd>Rejected: off topic</dd>", html, StringComparison.Ordinal);
            Assert.Contains("<dd>user:alice</dd>", html, StringComparison.Ordinal);
            using var post = await PostAsync(browser, path, "x", ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Conflict, post.StatusCode);
        }

        var final = await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        Assert.False(final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!.Approved);
        await AssertRefusalsAsync(
            task.RunId,
            (task.RequestId, nameof(ResponseStatus.AlreadyAnswered), "user:alice", "This task was already answered"),
            (task.RequestId, nameof(ResponseStatus.AlreadyAnswered), "user:alice", "This task was already answered"));
    }

    [Fact]
    public async Task Links_ExpiredOrTaskClosed_Return410AndChangeNothing()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "caves", timeout.Token);
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var expired = Forge(task.RunId, task.RequestId, LinkActions.Approve, "user:alice", 0, now.AddDays(-8), now.AddMinutes(-1));
        using var browser = app.NewBrowser();

        using (var get = await browser.GetAsync("/act/" + expired, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Gone, get.StatusCode);
            Assert.Contains("This link has expired", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        using (var post = await PostAsync(browser, "/act/" + expired, "x", ("decision", "approve")))
        {
            Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
        }

        await AssertUnchangedAsync(task, timeout.Token);

        var links = app.Links.Create(task, "user:alice");
        Assert.True(await app.Runs.TerminateAsync(task.RunId, "closed by the test", timeout.Token));
        await app.WaitForFinishedAsync(task.RunId, timeout.Token);
        foreach (var path in new[] { LinkPagesFixture.PathOf(links.Review), LinkPagesFixture.PathOf(links.Actions[0].Url) })
        {
            using var get = await browser.GetAsync(path, timeout.Token);
            Assert.Equal(HttpStatusCode.Gone, get.StatusCode);
            Assert.Contains("This task is closed", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
            using var post = await PostAsync(browser, path, "x", ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
        }

        Assert.Equal(RunStatus.Terminated, (await app.Runs.GetStatusAsync(task.RunId, cancellationToken: timeout.Token))!.RuntimeStatus);
        await AssertRefusalsAsync(
            task.RunId,
            (task.RequestId, nameof(ResponseStatus.Expired), "user:alice", "This link has expired"),
            (task.RequestId, nameof(ResponseStatus.Expired), "user:alice", "This task is closed"),
            (task.RequestId, nameof(ResponseStatus.Expired), "user:alice", "This task is closed"));
    }

    [Fact]
    public async Task ActionLinks_ExpireAtTheTaskDeadlineWhenItComesFirst()
    {
        using var timeout = TestTimeout.Start();
        var task = await app.StartAndWaitAsync(LinkTestGraphs.Approval, "meadows", timeout.Token);
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        var soon = app.Links.Create(task with { Deadline = now.AddHours(2) }, "user:alice");
        var later = app.Links.Create(task with { Deadline = now.AddDays(30) }, "user:alice");

        Assert.True(app.Codec.TryUnprotect(soon.Review.AbsolutePath["/review/".Length..], out var bounded));
        Assert.Equal(now.AddHours(2).ToUnixTimeMilliseconds(), bounded.ExpiresAt.ToUnixTimeMilliseconds());
        Assert.True(app.Codec.TryUnprotect(later.Review.AbsolutePath["/review/".Length..], out var capped));
        Assert.InRange(capped.ExpiresAt - now, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.Equal(["approve", "reject"], soon.Actions.Select(a => a.Action));
        Assert.Equal(4, new[] { soon.Review, soon.Actions[0].Url, soon.Actions[1].Url, later.Review }.Select(u => u.AbsolutePath).Distinct().Count());
    }

    internal static void AssertPageHeaders(HttpResponseMessage response)
    {
        Assert.Equal(PageSecurity.ContentSecurityPolicy, string.Join(", ", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("default-src 'none'", PageSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", PageSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", PageSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Contains("base-uri 'none'", PageSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", PageSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }

    internal static void AssertNoActiveContent(string html)
    {
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"<[^>]+\son[a-z]+=", html);
    }

    private async Task AssertUnchangedAsync(HumanTaskRecord task, CancellationToken cancellationToken)
    {
        var status = await app.Runs.GetStatusAsync(task.RunId, cancellationToken: cancellationToken);
        Assert.Equal(RunStatus.Running, status!.RuntimeStatus);
        var open = Assert.Single(status.OpenRequests);
        Assert.Equal(task.RequestId, open.Id);
        Assert.Equal(0, open.Attempts);
        var stored = await app.Tasks.GetAsync(task.RunId, task.RequestId, cancellationToken);
        Assert.Equal(HumanRequestStatus.Open, stored!.Status);
        Assert.Null(stored.Answer);
    }

    /// <summary>
    /// Asserts the run's refused answers in <c>{Hub}Audit</c>, oldest first: each posted through a link (channel email,
    /// source pages), for the request, with the outcome and respondent given, its reason starting as given.
    /// </summary>
    private async Task AssertRefusalsAsync(string runId, params (string RequestId, string Outcome, string Respondent, string Reason)[] expected)
    {
        var rows = await app.Services.GetRequiredService<AnswerAuditStore>().ReadAsync(runId);
        Assert.Equal(expected.Length, rows.Count);
        foreach (var (row, want) in rows.Zip(expected))
        {
            Assert.Equal((want.RequestId, want.Outcome, want.Respondent, LinkPages.Channel, AnswerAuditEntry.PagesSource), (row.RequestId, row.Outcome, row.Respondent, row.Channel, row.Source));
            Assert.StartsWith(want.Reason, row.Reason, StringComparison.Ordinal);
        }
    }

    /// <summary>A token this app's key ring signs, with whatever it names: how a link the app never sent is made.</summary>
    private string Forge(string runId, string requestId, string action, string assignee, int level, DateTimeOffset issuedAt, DateTimeOffset expiresAt) =>
        app.Codec.Protect(new LinkToken
        {
            Id = LinkTokenCodec.NewId(),
            RunId = runId,
            RequestId = requestId,
            Action = action,
            Assignee = assignee,
            EscalationLevel = level,
            IssuedAt = issuedAt,
            ExpiresAt = expiresAt,
        });

    private string TokenId(string path)
    {
        Assert.True(app.Codec.TryUnprotect(path[(path.LastIndexOf('/') + 1)..], out var token));
        return token.Id;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, string antiforgery, params (string Name, string Value)[] fields)
    {
        var values = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", antiforgery) };
        values.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return browser.PostAsync(path, new FormUrlEncodedContent(values));
    }
}
