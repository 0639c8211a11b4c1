using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class InstanceStatusTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task GetStatus_WhileWaitingForHuman_Returns202WithTheOpenRequestAsCustomStatus()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Porto");
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.GetAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        Assert.Equal(
            ["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"],
            body.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("travel", body.GetProperty("name").GetString());
        Assert.Equal(id, body.GetProperty("instanceId").GetString());
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("output").ValueKind);
        var request = body.GetProperty("customStatus").GetProperty("openRequests")[0];
        Assert.Equal(requestId, request.GetProperty("id").GetString());
        Assert.Equal("choose_mode", request.GetProperty("node").GetString());
        Assert.Contains("Porto", request.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal(new[] { "fly", "drive" }, request.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray());
        var created = body.GetProperty("createdTime").GetDateTime();
        Assert.Equal(DateTimeKind.Utc, created.Kind);
        Assert.True(body.GetProperty("lastUpdatedTime").GetDateTime() >= created);
        Assert.EndsWith($"/instances/{id}", response.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStatus_AfterRaiseEventAnswersTheHumanStep_TurnsFrom202To200Completed()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Madrid");
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.GetStatusAsync(id, timeout.Token)).Status);

        using var raised = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"fly\""), timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);

        var body = await _client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("Completed", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("fly", body.GetProperty("output").GetProperty("mode").GetString());
        Assert.StartsWith("Fly to Madrid", body.GetProperty("output").GetProperty("plan").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("customStatus").ValueKind);
    }

    [Fact]
    public async Task RaiseEvent_ByHumanNodeName_IsAcceptedLikeTheRequestId()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Bergen");
        await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var raised = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/CHOOSE_MODE", ApiClient.Json("\"drive\""), timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);

        var body = await _client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("drive", body.GetProperty("output").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task GetStatus_UnknownId_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.GetAsync($"{ApiClient.InstancesPath}/{ApiClient.NewId("missing")}", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task GetStatus_ShowHistoryAndOptions_ShapeTheBody()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Lyon");
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using (await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"drive\""), timeout.Token))
        {
        }

        await _client.WaitForFinishedAsync(id, timeout.Token);

        var (_, plain) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.False(plain.TryGetProperty("historyEvents", out _));

        var (_, withHistory) = await _client.GetStatusAsync(id, timeout.Token, "?showHistory=true&showInput=false");
        Assert.Equal(JsonValueKind.Null, withHistory.GetProperty("input").ValueKind);
        var events = withHistory.GetProperty("historyEvents").EnumerateArray().ToList();
        var kinds = events.Select(e => e.GetProperty("eventType").GetString()).ToList();
        Assert.Contains("HumanInputRequested", kinds);
        Assert.Contains("InputAccepted", kinds);
        Assert.Equal("Completed", kinds[^1]);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.DoesNotContain(events, e => e.TryGetProperty("data", out _));

        var (_, withOutput) = await _client.GetStatusAsync(id, timeout.Token, "?showHistory=true&showHistoryOutput=true");
        Assert.Contains(withOutput.GetProperty("historyEvents").EnumerateArray(), e => e.TryGetProperty("data", out _));
    }

    [Theory]
    [InlineData("?showHistory=yes")]
    [InlineData("?showInput=1")]
    [InlineData("?showHistoryOutput=maybe")]
    public async Task GetStatus_InvalidBooleanQuery_Returns400Problem(string query)
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.GetAsync($"{ApiClient.InstancesPath}/{ApiClient.NewId()}{query}", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
    }
}
