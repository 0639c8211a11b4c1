using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>Every endpoint that takes a JSON body refuses a body not declared as JSON in UTF-8 with a 415 problem.</summary>
[Collection(AppCollection.Name)]
public sealed class ContentTypeTests(HumanLoopAppFixture app)
{
    private const string Expected = "The request body must be JSON in UTF-8, sent with Content-Type: application/json (or text/json); this request has ";
    private readonly HttpClient _client = app.Client;

    public static TheoryData<string?, string> NotJson => new()
    {
        { null, "no Content-Type." },
        { "text/plain", "Content-Type: text/plain." },
        { "text/plain; charset=utf-8", "Content-Type: text/plain; charset=utf-8." },
        { "application/x-www-form-urlencoded", "Content-Type: application/x-www-form-urlencoded." },
        { "application/xml", "Content-Type: application/xml." },
        { "application/json; charset=utf-16", "Content-Type: application/json; charset=utf-16." },
    };

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task Start_BodyNotDeclaredAsJson_Returns415ProblemAndCreatesNoRun(string? contentType, string has)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("media");

        using var response = await _client.PostAsync($"/api/orchestrators/travel/{id}", Encoding.UTF8.GetBytes("""{"destination":"Porto"}"""), contentType, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, timeout.Token);
        Assert.Equal(Expected + has, problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task RaiseEvent_BodyNotDeclaredAsJson_Returns415ProblemAndLeavesTheRunWaiting(string? contentType, string has)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RaiseEventPath(id, requestId), Encoding.UTF8.GetBytes("\"fly\""), contentType, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, timeout.Token);
        Assert.Equal(Expected + has, problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
    }

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task Respond_BodyNotDeclaredAsJson_Returns415ProblemAndLeavesTheRunWaiting(string? contentType, string has)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), Encoding.UTF8.GetBytes("""{"answer":"fly"}"""), contentType, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, timeout.Token);
        Assert.Equal(Expected + has, problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=UTF-8")]
    [InlineData("text/json")]
    [InlineData("text/json; charset=utf-8")]
    public async Task StartAndRespond_JsonContentTypes_AreAccepted(string contentType)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("media");

        using (var start = await _client.PostAsync($"/api/orchestrators/travel/{id}", Encoding.UTF8.GetBytes("""{"destination":"Porto"}"""), contentType, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }

        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using var respond = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), Encoding.UTF8.GetBytes("""{"answer":"drive"}"""), contentType, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, respond.StatusCode);
    }

    [Fact]
    public async Task RaiseEvent_TextJson_IsQueued()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RaiseEventPath(id, requestId), Encoding.UTF8.GetBytes("\"fly\""), "text/json; charset=utf-8", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("fly", (await _client.WaitForFinishedAsync(id, timeout.Token)).GetProperty("output").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Start_EmptyBodyWithoutContentType_StartsWithTheDefaultInput()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("media");

        using var response = await _client.PostAsync($"/api/orchestrators/travel/{id}", [], contentType: null, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("Lisbon", status.GetProperty("input").GetProperty("destination").GetString());
    }
}
