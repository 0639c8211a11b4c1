using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class HumanRequestsApiTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task ListAndGet_WaitingRun_ReturnTheOpenRequestByIdOrNodeName()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var list = await _client.GetAsync($"/api/runs/{id}/requests", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var requests = await ApiClient.ReadJsonAsync(list, timeout.Token);
        Assert.Equal(requestId, requests[0].GetProperty("id").GetString());
        Assert.Equal("Open", requests[0].GetProperty("status").GetString());

        using var byId = await _client.GetAsync($"/api/runs/{id}/requests/{Uri.EscapeDataString(requestId)}", timeout.Token);
        using var byNode = await _client.GetAsync($"/api/runs/{id}/requests/choose_mode", timeout.Token);
        Assert.Equal(requestId, (await ApiClient.ReadJsonAsync(byId, timeout.Token)).GetProperty("id").GetString());
        Assert.Equal(requestId, (await ApiClient.ReadJsonAsync(byNode, timeout.Token)).GetProperty("id").GetString());

        using var none = await _client.GetAsync($"/api/runs/{id}/requests/nope", timeout.Token);
        await ApiClient.AssertProblemAsync(none, HttpStatusCode.NotFound, timeout.Token);
        using var noRun = await _client.GetAsync($"/api/runs/{ApiClient.NewId("missing")}/requests", timeout.Token);
        await ApiClient.AssertProblemAsync(noRun, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task Respond_ValidAnswer_Returns200AcceptedAndTheRunCompletesWithIt()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Vienna");
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await RespondAsync(id, requestId, """{"answer":"Fly","respondent":"user:ana"}""", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        Assert.Equal("Accepted", body.GetProperty("status").GetString());
        Assert.Equal("fly", body.GetProperty("request").GetProperty("answer").GetString());
        var final = await _client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("fly", final.GetProperty("output").GetProperty("mode").GetString());
        Assert.Equal("user:ana", final.GetProperty("output").GetProperty("chosenBy").GetString());
    }

    [Fact]
    public async Task Respond_InvalidAnswer_Returns400WithTheValidationMessageAndPromptAndKeepsTheRequestOpen()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Tallinn");
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await RespondAsync(id, requestId, """{"answer":"teleport"}""", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("teleport", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("Tallinn", problem.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal(new[] { "fly", "drive" }, problem.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray());
        // Checked before it reaches the run: a bad API call counts no attempt against the step's MaxAttempts.
        Assert.Equal(0, problem.GetProperty("attempts").GetInt32());
        Assert.Equal(requestId, await _client.WaitForOpenRequestAsync(id, timeout.Token));
    }

    [Fact]
    public async Task Respond_AlreadyAnswered_Returns409WithTheRecordedAnswer()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using (var first = await RespondAsync(id, requestId, """{"answer":"drive","respondent":"user:bo"}""", timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = await RespondAsync(id, requestId, """{"answer":"fly","respondent":"user:cy"}""", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(second, HttpStatusCode.Conflict, timeout.Token);
        Assert.Equal("drive", problem.GetProperty("answer").GetString());
        Assert.Equal("user:bo", problem.GetProperty("respondent").GetString());
        var final = await _client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("drive", final.GetProperty("output").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Respond_SameMessageIdTwice_IsAcceptedOnceAndReportedAsDuplicate()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        const string Body = """{"answer":"fly","respondent":"user:dee","messageId":"m-1"}""";

        using var first = await RespondAsync(id, requestId, Body, timeout.Token);
        using var retry = await RespondAsync(id, requestId, Body, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("Duplicate", (await ApiClient.ReadJsonAsync(retry, timeout.Token)).GetProperty("status").GetString());
        await _client.WaitForFinishedAsync(id, timeout.Token);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token, "?showHistory=true");
        Assert.Single(status.GetProperty("historyEvents").EnumerateArray(), e => e.GetProperty("eventType").GetString() == "InputAccepted");
    }

    [Fact]
    public async Task Respond_TerminatedRun_Returns410Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using (await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/terminate", null, timeout.Token))
        {
        }

        await _client.WaitForFinishedAsync(id, timeout.Token);
        using var response = await RespondAsync(id, requestId, """{"answer":"fly"}""", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Gone, timeout.Token);
    }

    [Fact]
    public async Task Respond_UnknownRunOrRequest_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var noRun = await RespondAsync(ApiClient.NewId("missing"), "choose_mode", """{"answer":"fly"}""", timeout.Token);
        await ApiClient.AssertProblemAsync(noRun, HttpStatusCode.NotFound, timeout.Token);

        var id = await _client.StartTravelAsync(timeout.Token);
        await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using var noRequest = await RespondAsync(id, "no_such_node", """{"answer":"fly"}""", timeout.Token);
        await ApiClient.AssertProblemAsync(noRequest, HttpStatusCode.NotFound, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Theory]
    [InlineData("\"fly\"", "JSON object")]
    [InlineData("{\"respondent\":\"x\"}", "'answer'")]
    [InlineData("{\"answer\":\"fly\",\"respondent\":42}", "'respondent'")]
    [InlineData("{\"answer\":\"fly\",\"messageId\":[]}", "'messageId'")]
    [InlineData("{\"answer\":", "not valid JSON")]
    [InlineData("", "empty")]
    public async Task Respond_MalformedBody_Returns400ProblemAndChangesNothing(string body, string expected)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await RespondAsync(id, requestId, body, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token, "?showHistory=true");
        Assert.DoesNotContain(status.GetProperty("historyEvents").EnumerateArray(), e => e.GetProperty("eventType").GetString() is "InputRejected" or "InputAccepted");
    }

    private Task<HttpResponseMessage> RespondAsync(string id, string requestId, string body, CancellationToken cancellationToken) =>
        _client.PostAsync($"/api/runs/{Uri.EscapeDataString(id)}/requests/{Uri.EscapeDataString(requestId)}/respond", ApiClient.Json(body), cancellationToken);
}
