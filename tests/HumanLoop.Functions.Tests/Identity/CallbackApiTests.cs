using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>The callback API: idempotent on <c>Idempotency-Key</c>, rate-limited per caller, the same codes as the human-task API.</summary>
[Collection(IdentityCollection.Name)]
public sealed class CallbackApiTests(IdentityAppFixture app)
{
    [Fact]
    public async Task Callback_SameKeyAndBodyAgain_ReplaysTheFirstOutcomeAndAppliesTheAnswerOnce()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Bergen"}""", timeout.Token);
        using var system = app.Client(key: "sys-replay");
        const string Body = """{"answer":"fly","respondent":"user:ops-bot"}""";

        using var first = await PostAsync(system, runId, "choose_mode", Body, "order-42", timeout.Token);
        using var again = await PostAsync(system, runId, "choose_mode", Body, "order-42", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstText = await first.Content.ReadAsStringAsync(timeout.Token);
        Assert.Equal("Accepted", JsonDocument.Parse(firstText).RootElement.GetProperty("status").GetString());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(firstText, await again.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        var final = await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        Assert.Equal("user:ops-bot", final.GetProperty("output").GetProperty("chosenBy").GetString());
        var row = Assert.Single(await app.AuditAsync(runId, requestId, timeout.Token));
        Assert.Equal(("callback", "Accepted", "user:ops-bot"), (row.GetProperty("channel").GetString(), row.GetProperty("outcome").GetString(), row.GetProperty("respondent").GetString()));
    }

    [Fact]
    public async Task Callback_SameKeyWithADifferentBody_Returns422AndAnotherKeyGetsTheHumanTaskCodes()
    {
        using var timeout = TestTimeout.Start();
        var (runId, _) = await app.StartWaitingAsync("travel", """{"destination":"Kiel"}""", timeout.Token);
        using var system = app.Client(key: "sys-conflict");

        using var first = await PostAsync(system, runId, "choose_mode", """{"answer":"fly"}""", "k-1", timeout.Token);
        using var reused = await PostAsync(system, runId, "choose_mode", """{"answer":"drive"}""", "k-1", timeout.Token);
        using var fresh = await PostAsync(system, runId, "choose_mode", """{"answer":"drive"}""", "k-2", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var problem = await ApiClient.AssertProblemAsync(reused, HttpStatusCode.UnprocessableEntity, timeout.Token);
        Assert.Equal("Idempotency key reused", problem.GetProperty("title").GetString());
        var conflict = await ApiClient.AssertProblemAsync(fresh, HttpStatusCode.Conflict, timeout.Token);
        Assert.Equal("fly", conflict.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Callback_OverTheCallersLimit_Returns429WithRetryAfter_OtherCallersAreNotLimited()
    {
        using var timeout = TestTimeout.Start();
        using var system = app.Client(key: "sys-limit");
        var runId = ApiClient.NewId("limited");
        for (int i = 0; i < IdentityAppFixture.PermitLimit; i++)
        {
            using var allowed = await PostAsync(system, runId, "choose_mode", """{"answer":"fly"}""", null, timeout.Token);
            await ApiClient.AssertProblemAsync(allowed, HttpStatusCode.NotFound, timeout.Token);
        }

        using var limited = await PostAsync(system, runId, "choose_mode", """{"answer":"fly"}""", null, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, timeout.Token);
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3600);
        using var person = app.Client(token: app.Token("limit-" + Guid.NewGuid().ToString("N")[..8], ["traveller"]));
        using var other = await PostAsync(person, runId, "choose_mode", """{"answer":"fly"}""", null, timeout.Token);
        await ApiClient.AssertProblemAsync(other, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task Callback_ToARequestEscalatedAway_Returns410ThenTheSuccessorsAnswerIsA409WithTheRecordedAnswer()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync(SignoffGraph.Handover, """{"title":"Keys"}""", timeout.Token);
        using var system = app.Client(key: "sys-gone");

        // One invalid answer, raised straight into the run, exhausts the request's attempts: it escalates to the chief under a new request id.
        using (var invalid = await app.Admin.PostAsync($"{ApiClient.InstancesPath}/{runId}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"maybe\""), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, invalid.StatusCode);
        }

        var successor = await WaitForOtherOpenRequestAsync(runId, requestId, timeout.Token);

        using var gone = await PostAsync(system, runId, requestId, """{"answer":"yes"}""", "gone-2", timeout.Token);
        using var goneAgain = await PostAsync(system, runId, requestId, """{"answer":"yes"}""", "gone-2", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(gone, HttpStatusCode.Gone, timeout.Token);
        Assert.Equal("Request expired", problem.GetProperty("title").GetString());
        Assert.Equal("Expired", problem.GetProperty("outcome").GetString());
        Assert.Contains("Escalated", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, goneAgain.StatusCode);
        Assert.Equal("true", goneAgain.Headers.GetValues("Idempotent-Replayed").Single());

        using var chief = app.Client(token: app.Token("chief"));
        using var accepted = await PostAsync(chief, runId, successor, """{"answer":"no"}""", "chief-1", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        using var late = await PostAsync(chief, runId, successor, """{"answer":"yes"}""", "chief-2", timeout.Token);

        var conflict = await ApiClient.AssertProblemAsync(late, HttpStatusCode.Conflict, timeout.Token);
        Assert.Equal("Already answered", conflict.GetProperty("title").GetString());
        Assert.Equal(("no", "user:chief", "callback"), (conflict.GetProperty("answer").GetString(), conflict.GetProperty("respondent").GetString(), conflict.GetProperty("answeredVia").GetString()));
        var rows = await app.AuditAsync(runId, null, timeout.Token);
        Assert.Equal(
            [(requestId, "Rejected"), (requestId, "Expired"), (successor, "Accepted"), (successor, "AlreadyAnswered")],
            rows.Select(r => (r.GetProperty("requestId").GetString(), r.GetProperty("outcome").GetString())).ToArray());
        var expired = rows[1];
        Assert.Equal(("callback", "anonymous"), (expired.GetProperty("channel").GetString(), expired.GetProperty("respondent").GetString()));
    }

    [Fact]
    public async Task Callback_ToATerminatedRun_Returns410RunFinished()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Oslo"}""", timeout.Token);
        using (var terminated = await app.Admin.PostAsync($"{ApiClient.InstancesPath}/{runId}/terminate", null, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, terminated.StatusCode);
        }

        await app.Admin.WaitForFinishedAsync(runId, timeout.Token);
        using var system = app.Client(key: "sys-ended");

        using var response = await PostAsync(system, runId, requestId, """{"answer":"fly"}""", "ended-1", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Gone, timeout.Token);
        Assert.Equal(("Run finished", "RunFinished"), (problem.GetProperty("title").GetString(), problem.GetProperty("outcome").GetString()));
        Assert.Contains("Terminated", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var row = Assert.Single(await app.AuditAsync(runId, null, timeout.Token));
        Assert.Equal(("RunFinished", "callback"), (row.GetProperty("outcome").GetString(), row.GetProperty("channel").GetString()));
    }

    [Fact]
    public async Task Callback_401And429OnAKnownTask_AreAuditedOncePerCallerChannelAndWindow_OnAnUnknownTaskNot()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Turku"}""", timeout.Token);
        using var anonymous = app.Client();
        using var wrongKey = app.Client(key: "not-a-key");
        using var expired = app.Client(token: app.Token("late", ["traveller"], expires: TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(-10)));
        using var flood = app.Client(key: "sys-flood");

        foreach (var client in new[] { anonymous, wrongKey, expired })
        {
            using var refused = await PostAsync(client, runId, requestId, """{"answer":"fly","respondent":"user:mallory"}""", null, timeout.Token);
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, timeout.Token);
        }

        using (var respond = await anonymous.PostAsync($"/api/runs/{runId}/requests/{requestId}/respond", ApiClient.Json("""{"answer":"fly"}"""), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, respond.StatusCode);
        }

        using (var unknown = await PostAsync(anonymous, runId, "no_such_node", """{"answer":"fly"}""", null, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        // The system's permits go on answers the step rejects, which leave the task open; the next two are over the limit.
        for (int i = 0; i < IdentityAppFixture.PermitLimit; i++)
        {
            using var rejected = await PostAsync(flood, runId, requestId, """{"answer":"swim"}""", null, timeout.Token);
            await ApiClient.AssertProblemAsync(rejected, HttpStatusCode.BadRequest, timeout.Token);
        }

        for (int i = 0; i < 2; i++)
        {
            using var limited = await PostAsync(flood, runId, requestId, """{"answer":"fly"}""", "flood-" + i, timeout.Token);
            await ApiClient.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, timeout.Token);
        }

        var rows = (await app.AuditAsync(runId, null, timeout.Token)).Where(r => r.GetProperty("outcome").GetString() is "Unauthorized" or "RateLimited").ToArray();
        Assert.Equal(
            [
                ("Unauthorized", "anonymous", "callback", requestId, "Not authenticated: the request carried no credentials."),
                ("Unauthorized", "anonymous", "http", requestId, "Not authenticated: the request carried no credentials."),
                ("RateLimited", "key:" + AnswerCaller.KeyId("sys-flood"), "callback", requestId, $"Over the limit of {IdentityAppFixture.PermitLimit} callbacks per 01:00:00 per caller."),
            ],
            rows.Select(r => (
                r.GetProperty("outcome").GetString(), r.GetProperty("respondent").GetString(), r.GetProperty("channel").GetString(),
                r.GetProperty("requestId").GetString(), r.GetProperty("reason").GetString())));
        Assert.Equal("flood-0", rows[2].GetProperty("messageId").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await app.Admin.GetStatusAsync(runId, timeout.Token)).Status);
    }

    [Fact]
    public async Task Callback_ByAnAssigneeWithABearerToken_Returns200AndRecordsTheCallbackChannel()
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync(SignoffGraph.Name, """{"title":"Roadmap"}""", timeout.Token);
        using var editor = app.Client(token: app.Token("eli", ["editor"]));

        using var response = await PostAsync(editor, runId, "sign", """{"answer":"yes","channel":"email"}""", "eli-1", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await app.WaitForAuditAsync(runId, requestId, timeout.Token));
        Assert.Equal(("user:eli", "callback", "Accepted"), (row.GetProperty("respondent").GetString(), row.GetProperty("channel").GetString(), row.GetProperty("outcome").GetString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("key\twith-a-tab")]
    [InlineData("key\u007fwith-delete")]
    public async Task Callback_WithAMalformedIdempotencyKey_Returns400(string key)
    {
        using var timeout = TestTimeout.Start();
        using var system = app.Client(key: "sys-callback");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs/some-run/requests/choose_mode/responses") { Content = ApiClient.Json("""{"answer":"fly"}""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key.Length == 0 ? new string('k', 201) : key);

        using var response = await system.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, int> HostileBodies => new()
    {
        { "not json", "application/json", 400 },
        { "", "application/json", 400 },
        { "[1,2]", "application/json", 400 },
        { """{"respondent":"user:x"}""", "application/json", 400 },
        { """{"answer":"fly","respondent":7}""", "application/json", 400 },
        { """{"answer":"\ud800"}""", "application/json", 400 },
        { """{"answer":"fly"}""", "text/plain", 415 },
        { """{"answer":"fly"}""", null, 415 },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task Callback_WithAMalformedBody_Returns4xxProblemAndTheRunIsUntouched(string body, string? contentType, int expected)
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Graz"}""", timeout.Token);
        using var person = app.Client(token: app.Token("hostile-" + Guid.NewGuid().ToString("N")[..8], ["traveller"]));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/requests/choose_mode/responses")
        {
            Content = HostileRequests.Body(Encoding.UTF8.GetBytes(body), contentType),
        };
        request.Headers.Add("Idempotency-Key", "hostile-1");

        using var response = await person.SendAsync(request, timeout.Token);

        await ApiClient.AssertProblemAsync(response, (HttpStatusCode)expected, timeout.Token);
        await app.Admin.AssertStillWaitingUntouchedAsync(runId, requestId, timeout.Token);
    }

    [Fact]
    public async Task OpenApi_DocumentsTheCallbackTheAuditAndBothSecuritySchemes()
    {
        using var timeout = TestTimeout.Start();

        using var response = await app.Admin.GetAsync("/openapi/v1.json", timeout.Token);

        var document = await ApiClient.ReadJsonAsync(response, timeout.Token);
        var paths = document.GetProperty("paths");
        var callback = paths.GetProperty("/api/runs/{instanceId}/requests/{requestId}/responses").GetProperty("post");
        foreach (var code in new[] { "200", "400", "401", "403", "409", "410", "422", "429" })
        {
            Assert.True(callback.GetProperty("responses").TryGetProperty(code, out _), $"The callback documents no {code}.");
        }

        Assert.Contains("Idempotency-Key", callback.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(paths.TryGetProperty("/api/runs/{instanceId}/audit", out _));
        Assert.True(paths.TryGetProperty("/api/runs/{instanceId}/requests/{requestId}/audit", out _));
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("apiKey", schemes.GetProperty("ApiKey").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
    }

    /// <summary>Polls the run's open requests until one other than <paramref name="requestId"/> is open; returns its id.</summary>
    private async Task<string> WaitForOtherOpenRequestAsync(string runId, string requestId, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await app.Admin.GetAsync($"/api/runs/{runId}/requests", cancellationToken);
            var open = (await ApiClient.ReadJsonAsync(response, cancellationToken)).EnumerateArray()
                .Select(r => r.GetProperty("id").GetString()!)
                .FirstOrDefault(id => !string.Equals(id, requestId, StringComparison.Ordinal));
            if (open is not null)
            {
                return open;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string runId, string target, string body, string? key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/requests/{Uri.EscapeDataString(target)}/responses") { Content = ApiClient.Json(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await client.SendAsync(request, cancellationToken);
    }
}
