using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using HumanLoop.Durable.Notifications;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Pages;
using HumanLoop.Runs;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Channels;

/// <summary>
/// One request, answered at the same moment on three channels: the approval link's confirm page (<c>email</c>), the
/// respond API (<c>http</c>) and the callback API (<c>callback</c>), each with a different decision. Over many runs,
/// exactly one answer wins and is applied once; the others get 409 with the recorded decision (the API) or the
/// "already answered" page naming who answered via which channel (the link); the audit holds one accepted answer and
/// one refusal per losing channel; a link followed afterwards shows the decision; the queue and the webhooks are told
/// the task closed, and by which channel.
/// </summary>
public sealed partial class RacingChannelsTests(MultiChannelFixture app, ITestOutputHelper output) : IClassFixture<MultiChannelFixture>
{
    private const int Runs = 16;
    private const int Lanes = 4;

    private static readonly string[] Channels = ["email", "http", "callback"];

    [Fact]
    public async Task Answers_RacingOnThreeChannels_ExactlyOneWinsAndTheOthersAreToldWhoWon()
    {
        using var timeout = TestTimeout.Start(600);
        var winners = new ConcurrentBag<string>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Lanes).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < Runs)
            {
                winners.Add(await RaceOnceAsync(timeout.Token));
            }
        }));

        var tally = winners.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("Winners over " + Runs + " runs: " + string.Join(", ", Channels.Select(c => $"{c} {tally.GetValueOrDefault(c)}")));
        Assert.Equal(Runs, winners.Count);
    }

    private async Task<string> RaceOnceAsync(CancellationToken cancellationToken)
    {
        var task = await app.StartApprovalAsync("race", cancellationToken);
        var (runId, requestId) = (task.RunId, task.RequestId);
        var links = app.Links.Create(task, "user:alice");
        var approvePath = links.Actions.Single(a => a.Action == "approve").Url.AbsolutePath;
        using var browser = app.NewBrowser();
        var form = LinkPagesFixture.AntiforgeryToken(await browser.GetStringAsync(approvePath, cancellationToken));
        var api = $"/api/runs/{Uri.EscapeDataString(runId)}/requests/{Uri.EscapeDataString(requestId)}";

        // All three leave together.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var email = Send(() => browser.PostAsync(approvePath, new FormUrlEncodedContent([new("__RequestVerificationToken", form), new("decision", "approve")]), cancellationToken));
        var http = Send(() => app.Client.PostAsync(api + "/respond", ApiClient.Json("""{"answer":{"approved":false,"reason":"from http"},"respondent":"user:alice"}"""), cancellationToken));
        var callback = Send(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, api + "/responses")
            {
                Content = ApiClient.Json("""{"answer":{"approved":false,"reason":"from callback"},"respondent":"user:alice"}"""),
            };
            request.Headers.Add("Idempotency-Key", "race-" + Guid.NewGuid().ToString("N"));
            return await app.Client.SendAsync(request, cancellationToken);
        });
        start.SetResult();
        var responses = await Task.WhenAll(email, http, callback);
        var results = new Dictionary<string, (HttpStatusCode Status, string Body)>();
        for (var i = 0; i < Channels.Length; i++)
        {
            using var response = responses[i];
            results[Channels[i]] = (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }

        var summary = string.Join("; ", results.Select(r => $"{r.Key} {(int)r.Value.Status}"));
        var winner = Assert.Single(results, r => r.Value.Status == HttpStatusCode.OK).Key;
        Assert.All(results.Where(r => r.Key != winner), r => Assert.True(r.Value.Status == HttpStatusCode.Conflict, $"{runId}: {summary}\n{r.Key}: {r.Value.Body}"));
        var (approved, reason) = winner switch
        {
            "email" => (true, (string?)null),
            "http" => (false, "from http"),
            _ => (false, "from callback"),
        };

        // Applied once: one accepted answer in the run, on the winner's channel, and the state it produced.
        var final = await app.Runs.WaitForCompletionAsync(runId, cancellationToken);
        var state = final.Output!.Value.Deserialize(ArticleJsonContext.Default.ArticleState)!;
        Assert.Equal((approved, reason, "user:alice"), (state.Approved, state.Reason, state.DecidedBy));
        var events = await app.Runs.GetEventsAsync(runId, cancellationToken: cancellationToken);
        Assert.Equal(winner, Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted).Channel);
        Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "approve");
        Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == (approved ? "publish" : "shelve"));
        Assert.DoesNotContain(events, e => e.Kind == RunEventKind.InputRejected);

        // The losers were told the recorded decision and who gave it through which channel.
        foreach (var (channel, (_, body)) in results.Where(r => r.Key != winner))
        {
            if (channel == "email")
            {
                AssertAnsweredPage(body, winner);
            }
            else
            {
                var problem = JsonDocument.Parse(body).RootElement;
                Assert.Equal("AlreadyAnswered", problem.GetProperty("outcome").GetString());
                Assert.Equal("user:alice", problem.GetProperty("respondent").GetString());
                Assert.Equal(winner, problem.GetProperty("answeredVia").GetString());
                Assert.Equal(approved, problem.GetProperty("answer").GetProperty("approved").GetBoolean());
                Assert.Contains($"via {winner}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        // The audit: one accepted answer, and one refusal per losing channel, each with its channel.
        using var auditResponse = await app.Client.GetAsync(api + "/audit", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, auditResponse.StatusCode);
        var audit = (await ApiClient.ReadJsonAsync(auditResponse, cancellationToken)).EnumerateArray()
            .Select(r => (Channel: r.GetProperty("channel").GetString(), Outcome: r.GetProperty("outcome").GetString(), Respondent: r.GetProperty("respondent").GetString()))
            .ToList();
        var acceptedRow = Assert.Single(audit, a => a.Outcome == "Accepted");
        Assert.Equal((winner, "user:alice"), (acceptedRow.Channel, acceptedRow.Respondent));
        foreach (var loser in Channels.Where(c => c != winner))
        {
            Assert.Equal("AlreadyAnswered", Assert.Single(audit, a => a.Channel == loser).Outcome);
        }

        Assert.Equal(Channels.Length, audit.Count);

        // After the fact: a link never used shows the recorded decision, by whom and via which channel.
        using var later = app.NewBrowser();
        using var review = await later.GetAsync(links.Review.AbsolutePath, cancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, review.StatusCode);
        var reviewPage = await review.Content.ReadAsStringAsync(cancellationToken);
        AssertAnsweredPage(reviewPage, winner);
        Assert.Contains(approved ? "<dt>Decision</dt><dd>Approved</dd>" : $"<dt>Decision</dt><dd>Rejected: {reason}</dd>", reviewPage, StringComparison.Ordinal);

        // The task queue and the webhooks are told it closed, and how.
        var closedNotices = await app.WaitForQueueNoticesAsync(requestId, "closed", cancellationToken);
        Assert.All(closedNotices, n =>
        {
            Assert.Equal("Accepted", n.GetProperty("status").GetString());
            Assert.Equal(winner, n.GetProperty("task").GetProperty("answeredVia").GetString());
            Assert.Equal("user:alice", n.GetProperty("task").GetProperty("respondent").GetString());
        });
        var hook = await app.WaitForWebhookAsync(requestId, NoticeKinds.Closed, cancellationToken);
        Assert.True(WebhookSignature.Verify(MultiChannelFixture.WebhookSecret, hook.Timestamp, hook.Body, hook.Signature,
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(hook.Timestamp, System.Globalization.CultureInfo.InvariantCulture)), TimeSpan.FromMinutes(5)));
        var hookTask = JsonDocument.Parse(hook.Body).RootElement.GetProperty("task");
        Assert.Equal((winner, "Accepted", "user:alice"), (hookTask.GetProperty("answeredVia").GetString(), hookTask.GetProperty("status").GetString(), hookTask.GetProperty("respondent").GetString()));
        Assert.Single(app.Webhooks.All, d => d.DeliveryId == $"{requestId}/{NoticeKinds.Opened}");

        output.WriteLine($"{runId}: {summary}; {winner} won");
        return winner;

        async Task<HttpResponseMessage> Send(Func<Task<HttpResponseMessage>> send)
        {
            await start.Task;
            return await send();
        }
    }

    private static void AssertAnsweredPage(string html, string via)
    {
        Assert.Contains("This task was already answered", html, StringComparison.Ordinal);
        Assert.Contains("<dt>By</dt><dd>user:alice</dd>", html, StringComparison.Ordinal);
        Assert.Contains($"<dt>Via</dt><dd>{via}</dd>", html, StringComparison.Ordinal);
        Assert.True(WhenRow().IsMatch(html), html);
    }

    [GeneratedRegex(@"<dt>When</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC</dd>")]
    private static partial Regex WhenRow();
}
