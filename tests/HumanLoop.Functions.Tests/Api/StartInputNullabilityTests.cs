using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>A start input with null where the graph's state does not allow it is refused before a run exists.</summary>
[Collection(AppCollection.Name)]
public sealed class StartInputNullabilityTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Start_NullForANonNullableProperty_Returns400NamingItAndCreatesNoRun()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("null");

        using var response = await _client.StartAsync("travel", id, """{"destination":null}""", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal(
            "The input is not a valid initial state for graph 'travel': '$.destination' must not be null (its type is not nullable).",
            problem.GetProperty("detail").GetString());
        Assert.Equal("travel", problem.GetProperty("graph").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Fact]
    public async Task Start_NullForANullableProperty_StartsTheRun()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("null");

        using var response = await _client.StartAsync("travel", id, """{"destination":"Porto","mode":null,"plan":null}""", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _client.WaitForOpenRequestAsync(id, timeout.Token);
    }
}
