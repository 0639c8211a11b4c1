using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>
/// Only a request's assignees answer it (directly as <c>user:NAME</c> or by <c>role:NAME</c>); a person answers as
/// themselves; every answer, accepted or refused, is in the audit with respondent, channel, time and outcome.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class AssigneeAuthorizationTests(IdentityAppFixture app)
{
    [Theory]
    [InlineData("respond", "http")]
    [InlineData("responses", "callback")]
    public async Task Answer_ByAPersonWhoIsNotAnAssignee_Returns403AuditedAndChangesNothing(string endpoint, string channel)
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Lyon"}""", timeout.Token);
        var eve = "eve-" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client(token: app.Token(eve, ["viewer"]));
        var before = TimeProvider.System.GetUtcNow();

        using var response = await client.PostAsync($"/api/runs/{runId}/requests/choose_mode/{endpoint}", ApiClient.Json("""{"answer":"fly"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, timeout.Token);
        Assert.Equal($"'user:{eve}' is not an assignee of request '{requestId}' (assigned to role:traveller).", problem.GetProperty("detail").GetString());
        Assert.Equal(requestId, await app.Admin.WaitForOpenRequestAsync(runId, timeout.Token));
        var row = Assert.Single(await app.AuditAsync(runId, requestId, timeout.Token));
        Assert.Equal(("user:" + eve, channel, "Forbidden", "api", requestId), (Text(row, "respondent"), Text(row, "channel"), Text(row, "outcome"), Text(row, "source"), Text(row, "requestId")));
        Assert.InRange(row.GetProperty("at").GetDateTimeOffset(), before.AddSeconds(-5), TimeProvider.System.GetUtcNow().AddSeconds(5));
        Assert.Equal(problem.GetProperty("detail").GetString(), Text(row, "reason"));
    }

    [Fact]
    public async Task Respond_ByAnAssigneeByRole_Returns200AndRecordsThePersonWithChannelAndOutcome()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Turin"}""", timeout.Token);
        using var client = app.Client(token: app.Token("tom", ["traveller"]));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/requests/{Uri.EscapeDataString(requestId)}/respond") { Content = ApiClient.Json("""{"answer":"drive"}""") };
        request.Headers.Add("Idempotency-Key", "tom-1");

        using var response = await client.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var final = await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal("user:tom", final.GetProperty("output").GetProperty("chosenBy").GetString());
        var row = Assert.Single(await app.AuditAsync(runId, null, timeout.Token));
        Assert.Equal(
            ("user:tom", "http", "Accepted", "run", requestId, "tom-1"),
            (Text(row, "respondent"), Text(row, "channel"), Text(row, "outcome"), Text(row, "source"), Text(row, "requestId"), Text(row, "messageId")));

        // The run's own history carries the same fields, and the channel is no longer in the message.
        var (_, status) = await app.Admin.GetStatusAsync(runId, timeout.Token, "?showHistory=true");
        var accepted = Assert.Single(status.GetProperty("historyEvents").EnumerateArray(), e => Text(e, "eventType") == "InputAccepted");
        Assert.Equal(("http", "Accepted", "user:tom"), (Text(accepted, "channel"), Text(accepted, "outcome"), Text(accepted, "respondent")));
        Assert.False(accepted.TryGetProperty("message", out _));
    }

    [Fact]
    public async Task Respond_ByAnAssigneeByUserName_Returns200()
    {
        using var timeout = TestTimeout.Start();
        var (runId, _) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"Q4 report"}""", timeout.Token);
        using var client = app.Client(token: app.Token("dana"));

        using var response = await client.PostAsync($"/api/runs/{runId}/requests/sign/respond", ApiClient.Json("""{"answer":"yes","respondent":"user:dana"}"""), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var final = await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal(("yes", "user:dana"), (final.GetProperty("output").GetProperty("choice").GetString(), final.GetProperty("output").GetProperty("by").GetString()));
    }

    [Fact]
    public async Task Respond_ByAnAssigneeNamingAnotherRespondent_Returns403_ImpersonationIsRefused()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"Budget"}""", timeout.Token);
        using var ed = app.Client(token: app.Token("ed", ["editor"]));

        using var forged = await ed.PostAsync($"/api/runs/{runId}/requests/sign/respond", ApiClient.Json("""{"answer":"yes","respondent":"user:dana"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(forged, HttpStatusCode.Forbidden, timeout.Token);
        Assert.Equal("'user:ed' cannot answer as 'user:dana': a signed-in person answers as themselves.", problem.GetProperty("detail").GetString());
        Assert.Equal(requestId, await app.Admin.WaitForOpenRequestAsync(runId, timeout.Token));

        using var own = await ed.PostAsync($"/api/runs/{runId}/requests/sign/respond", ApiClient.Json("""{"answer":"no","respondent":"user:ed"}"""), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var final = await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal("user:ed", final.GetProperty("output").GetProperty("by").GetString());
        var rows = await app.AuditAsync(runId, requestId, timeout.Token);
        Assert.Equal([("user:ed", "Forbidden", "api"), ("user:ed", "Accepted", "run")], rows.Select(r => (Text(r, "respondent"), Text(r, "outcome"), Text(r, "source"))));
    }

    [Fact]
    public async Task Audit_RejectedThenAcceptedThenLateAnswers_RecordsEachWithItsOwnOutcome()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Gdansk"}""", timeout.Token);
        using var kim = app.Client(token: app.Token("kim", ["traveller"]));
        using var outsider = app.Client(token: app.Token("olaf", ["viewer"]));
        var path = $"/api/runs/{runId}/requests/choose_mode/respond";

        using (var invalid = await kim.PostAsync(path, ApiClient.Json("""{"answer":"swim"}"""), timeout.Token))
        {
            await ApiClient.AssertProblemAsync(invalid, HttpStatusCode.BadRequest, timeout.Token);
        }

        using (var valid = await kim.PostAsync(path, ApiClient.Json("""{"answer":"fly"}"""), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        using (var late = await kim.PostAsync($"/api/runs/{runId}/requests/{Uri.EscapeDataString(requestId)}/respond", ApiClient.Json("""{"answer":"drive"}"""), timeout.Token))
        {
            await ApiClient.AssertProblemAsync(late, HttpStatusCode.Conflict, timeout.Token);
        }

        // A person who was never assigned learns nothing of how the request closed.
        using (var nosy = await outsider.PostAsync($"/api/runs/{runId}/requests/{Uri.EscapeDataString(requestId)}/respond", ApiClient.Json("""{"answer":"drive"}"""), timeout.Token))
        {
            var problem = await ApiClient.AssertProblemAsync(nosy, HttpStatusCode.Forbidden, timeout.Token);
            Assert.False(problem.TryGetProperty("answer", out _));
        }

        var rows = await app.AuditAsync(runId, null, timeout.Token);
        Assert.Equal(
            [("user:kim", "Rejected"), ("user:kim", "Accepted"), ("user:kim", "AlreadyAnswered"), ("user:olaf", "Forbidden")],
            rows.Select(r => (Text(r, "respondent"), Text(r, "outcome"))));

        // Refused before reaching the run (checked against the state the task recorded) or by the run itself, if it
        // was asked before the task row was written; either way it is audited once.
        Assert.Contains(Text(rows[0], "source"), new[] { "api", "run" });
        Assert.Equal(["run", "api", "api"], rows.Skip(1).Select(r => Text(r, "source")));
        Assert.All(rows, r => Assert.Equal(requestId, Text(r, "requestId")));
        Assert.All(rows, r => Assert.Equal("http", Text(r, "channel")));
        Assert.Contains("swim", Text(rows[0], "reason"), StringComparison.Ordinal);
        Assert.Equal(rows.Select(r => r.GetProperty("at").GetDateTimeOffset()).Order(), rows.Select(r => r.GetProperty("at").GetDateTimeOffset()));
    }

    [Fact]
    public async Task Respond_ByASystemWithAKey_AnswersAsTheRespondentItNames()
    {
        using var timeout = TestTimeout.Start();
        var (runId, _) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"Press release"}""", timeout.Token);

        using var response = await app.Admin.PostAsync($"/api/runs/{runId}/requests/sign/respond", ApiClient.Json("""{"answer":"yes","respondent":"user:dana","channel":"slack"}"""), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var row = Assert.Single(await app.WaitForAuditAsync(runId, null, timeout.Token));
        Assert.Equal(("user:dana", "slack", "Accepted"), (Text(row, "respondent"), Text(row, "channel"), Text(row, "outcome")));
    }

    [Fact]
    public async Task Audit_OfAnUnknownRun_Returns404AndWithoutAKey401()
    {
        using var timeout = TestTimeout.Start();

        using var unknown = await app.Admin.GetAsync($"/api/runs/{ApiClient.NewId("none")}/audit", timeout.Token);
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, timeout.Token);
        using var person = app.Client(token: app.Token("ann", ["traveller"]));
        using var denied = await person.GetAsync("/api/runs/some-run/audit", timeout.Token);
        await ApiClient.AssertProblemAsync(denied, HttpStatusCode.Unauthorized, timeout.Token);
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
