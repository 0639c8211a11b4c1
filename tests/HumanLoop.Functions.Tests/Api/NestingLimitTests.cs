using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>Bodies may nest arrays and objects 32 levels deep; deeper ones get a 400 that says so, never a 500.</summary>
[Collection(AppCollection.Name)]
public sealed class NestingLimitTests(HumanLoopAppFixture app)
{
    private const string TooDeep = "The request body nests arrays and objects more than 32 levels deep; the limit is 32.";
    private readonly HttpClient _client = app.Client;

    [Theory]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    public async Task RaiseEvent_NestedDeeperThanTheLimit_Returns400AndLeavesTheRunWaiting(int depth)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RaiseEventPath(id, requestId), ApiClient.Json(Arrays(depth)), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal(TooDeep, problem.GetProperty("detail").GetString());
        await _client.AssertStillWaitingUntouchedAsync(id, requestId, timeout.Token);
    }

    [Fact]
    public async Task RaiseEvent_NestedAtTheLimit_IsQueuedAndTheRunRejectsItAndKeepsWaiting()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RaiseEventPath(id, requestId), ApiClient.Json(Arrays(32)), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var rejected = await WaitForEventAsync(id, "InputRejected", timeout.Token);
        Assert.Equal(requestId, rejected.GetProperty("requestId").GetString());
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    [Theory]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    public async Task Start_NestedDeeperThanTheLimit_Returns400AndCreatesNoRun(int depth)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("deep");

        using var response = await _client.StartAsync("travel", id, $$"""{"destination":"Porto","extra":{{Arrays(depth - 1)}}}""", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal(TooDeep, problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Fact]
    public async Task Start_NestedAtTheLimit_StartsARunThatWaitsForItsHuman()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("deep");

        using var response = await _client.StartAsync("travel", id, $$"""{"destination":"Porto","extra":{{Arrays(31)}}}""", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    [Fact]
    public async Task Respond_AnswerNestedToTheLimit_IsRejectedAsAnAnswerAndTheRequestStaysOpen()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync(HostileRequests.RespondPath(id, requestId), ApiClient.Json($$"""{"answer":{{Arrays(31)}}}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal("Answer rejected", problem.GetProperty("title").GetString());
        Assert.Equal("a list is not one of the allowed choices: fly, drive.", problem.GetProperty("detail").GetString());
        await _client.AssertAValidAnswerIsStillAcceptedAsync(id, requestId, timeout.Token);
    }

    private static string Arrays(int depth) => new string('[', depth) + new string(']', depth);

    private async Task<JsonElement> WaitForEventAsync(string id, string eventType, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (_, run) = await _client.GetStatusAsync(id, cancellationToken, "?showHistory=true");
            foreach (var e in run.GetProperty("historyEvents").EnumerateArray())
            {
                if (e.GetProperty("eventType").GetString() == eventType)
                {
                    return e;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }
}
