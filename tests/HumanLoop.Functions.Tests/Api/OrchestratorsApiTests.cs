using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class OrchestratorsApiTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Start_WithoutId_Returns202WithManagementLinksAndLocation()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.StartAsync("travel", null, """{"destination":"Porto"}""", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        var id = body.GetProperty("id").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(id));
        var status = $"{app.BaseAddress.ToString().TrimEnd('/')}/runtime/webhooks/durabletask/instances/{id}";
        Assert.Equal(status, body.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal(status + "/raiseEvent/{eventName}", body.GetProperty("sendEventPostUri").GetString());
        Assert.Equal(status + "/terminate?reason={text}", body.GetProperty("terminatePostUri").GetString());
        Assert.Equal(status, body.GetProperty("purgeHistoryDeleteUri").GetString());
        Assert.Equal(
            ["id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"],
            body.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(new Uri(status), response.Headers.Location);

        // The link works.
        using var statusResponse = await _client.GetAsync(response.Headers.Location, timeout.Token);
        Assert.True(statusResponse.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK);
    }

    [Fact]
    public async Task Start_WithId_UsesThatIdAndStoresTheInput()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("start");
        using var response = await _client.StartAsync("travel", id, """{"destination":"Oslo"}""", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.EndsWith($"/instances/{id}", response.Headers.Location!.AbsolutePath, StringComparison.Ordinal);

        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("travel", status.GetProperty("name").GetString());
        Assert.Equal("Oslo", status.GetProperty("input").GetProperty("destination").GetString());
    }

    [Fact]
    public async Task Start_ExistingId_Returns409ProblemAndKeepsTheFirstRun()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token, destination: "Rome");

        using var again = await _client.StartAsync("travel", id, """{"destination":"Paris"}""", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(again, HttpStatusCode.Conflict, timeout.Token);
        Assert.Contains(id, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("Rome", status.GetProperty("input").GetProperty("destination").GetString());
    }

    [Fact]
    public async Task Start_UnknownGraph_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.StartAsync("no-such-graph", null, "{}", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
        Assert.Contains("no-such-graph", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"destination\":")]
    [InlineData("not json")]
    [InlineData("{\"a\":1}}")]
    public async Task Start_MalformedJson_Returns400ProblemAndCreatesNoRun(string body)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("bad");
        using var response = await _client.StartAsync("travel", id, body, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("not valid JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var (status, _) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Start_OversizedBody_Returns413ProblemAndCreatesNoRun()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("big");
        var body = $$"""{"destination":"{{new string('x', 1_100_000)}}"}""";
        using var response = await _client.PostOversizedAsync($"/api/orchestrators/travel/{id}", body, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, timeout.Token);
        var (status, _) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("a%23b")]
    [InlineData("a%3Fb")]
    [InlineData("a%5Cb")]
    public async Task Start_InvalidInstanceId_Returns400Problem(string escapedId)
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.PostAsync($"/api/orchestrators/travel/{escapedId}", ApiClient.Json("{}"), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("instance id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TooLongInstanceId_Returns400Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.StartAsync("travel", new string('a', 101), "{}", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
    }

    [Fact]
    public async Task Start_WithoutBody_StartsWithTheGraphsDefaultInput()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("nobody");
        using var response = await _client.StartAsync("travel", id, null, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("Lisbon", status.GetProperty("input").GetProperty("destination").GetString());
        await _client.WaitForOpenRequestAsync(id, timeout.Token);
    }

    [Theory]
    [InlineData("{\"destination\":42}")]
    [InlineData("[1,2]")]
    [InlineData("null")]
    [InlineData("\"Porto\"")]
    public async Task Start_InputOfTheWrongShape_Returns400ProblemAndCreatesNoRun(string body)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("shape");
        using var response = await _client.StartAsync("travel", id, body, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("travel", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Fact]
    public async Task Start_NonJsonContentType_Returns415Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("form");
        using var content = new StringContent("destination=Porto", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await _client.PostAsync($"/api/orchestrators/travel/{id}", content, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }
}
