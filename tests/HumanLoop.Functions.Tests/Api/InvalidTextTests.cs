using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>Text that is not Unicode (lone surrogate escapes, bytes that are not UTF-8) is refused before it reaches a run.</summary>
[Collection(AppCollection.Name)]
public sealed class InvalidTextTests(HumanLoopAppFixture app)
{
    private const string Why = "is not valid Unicode text: it has a lone surrogate escape such as \\ud800, or bytes that are not UTF-8.";
    private readonly HttpClient _client = app.Client;

    [Theory]
    [InlineData("""{"answer":"\ud800"}""", "$.answer")]
    [InlineData("""{"answer":"fly","respondent":"user:\ud800"}""", "$.respondent")]
    [InlineData("""{"answer":"fly","channel":"x\udc00y"}""", "$.channel")]
    [InlineData("""{"answer":"fly","messageId":"\udfff\ud800"}""", "$.messageId")]
    [InlineData("""{"answer":{"reason":["ok","\ud83d"]}}""", "$.answer.reason[1]")]
    [InlineData("""{"answer":{"my key":"\ud800"}}""", "$.answer['my key']")]
    public async Task Respond_LoneSurrogate_Returns400NamingTheFieldAndLeavesTheRunWaiting(string body, string path)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), ApiClient.Json(body), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal("Invalid request", problem.GetProperty("title").GetString());
        Assert.Equal($"'{path}' {Why}", problem.GetProperty("detail").GetString());
        Assert.Equal(path, problem.GetProperty("path").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    [Fact]
    public async Task Respond_LoneSurrogateInAPropertyName_Returns400NamingTheObject()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), ApiClient.Json("""{"answer":{"\ud800":1}}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"A property name in '$.answer' {Why}", problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
    }

    [Theory]
    [InlineData("answer", new byte[] { 0xFF, 0xFE })]
    [InlineData("respondent", new byte[] { 0xC3 })]
    [InlineData("channel", new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData("messageId", new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    public async Task Respond_InvalidUtf8Bytes_Returns400NamingTheFieldAndLeavesTheRunWaiting(string field, byte[] raw)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        var body = field == "answer"
            ? HostileRequests.Bytes("""{"answer":"f""", raw, "ly\"}")
            : HostileRequests.Bytes($$"""{"answer":"fly","{{field}}":"a""", raw, "b\"}");

        using var response = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), body, "application/json", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"'$.{field}' {Why}", problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    [Fact]
    public async Task RaiseEvent_LoneSurrogate_Returns400AndLeavesTheRunWaiting()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RaiseEventPath(id, requestId), ApiClient.Json("\"\\ud800\""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"'$' {Why}", problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    [Fact]
    public async Task RaiseEvent_InvalidUtf8Bytes_Returns400AndLeavesTheRunWaiting()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(
            HostileRequests.RaiseEventPath(id, requestId), HostileRequests.Bytes("{\"approved\":true,\"reason\":\"", [0xC0, 0xAF], "\"}"), "application/json", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"'$.reason' {Why}", problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
    }

    [Theory]
    [InlineData("""{"destination":"Por\ud800to"}""", "$.destination")]
    [InlineData("""{"destination":"Porto","notes":["\udc00"]}""", "$.notes[0]")]
    public async Task Start_LoneSurrogateInTheInput_Returns400AndCreatesNoRun(string body, string path)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("surrogate");

        using var response = await _client.StartAsync("travel", id, body, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"'{path}' {Why}", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Fact]
    public async Task Start_InvalidUtf8BytesInTheInput_Returns400AndCreatesNoRun()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("utf8");

        using var response = await _client.PostAsync(
            $"/api/orchestrators/travel/{id}", HostileRequests.Bytes("""{"destination":"Por""", [0xFF], "to\"}"), "application/json", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal($"'$.destination' {Why}", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }
}
