using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class RaiseEventTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task RaiseEvent_UnknownRun_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{ApiClient.NewId("missing")}/raiseEvent/choose_mode", ApiClient.Json("\"fly\""), timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task RaiseEvent_FinishedRun_Returns410Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using (var first = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"fly\""), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        await _client.WaitForFinishedAsync(id, timeout.Token);
        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"drive\""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Gone, timeout.Token);
        Assert.Equal("Completed", problem.GetProperty("runtimeStatus").GetString());
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("fly", status.GetProperty("output").GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("fly")]
    [InlineData("{\"mode\":")]
    [InlineData("")]
    public async Task RaiseEvent_BodyNotJson_Returns400ProblemAndTheRunKeepsWaiting(string body)
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json(body), timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        var (status, run) = await _client.GetStatusAsync(id, timeout.Token, "?showHistory=true");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(requestId, run.GetProperty("customStatus").GetProperty("openRequests")[0].GetProperty("id").GetString());
        Assert.DoesNotContain(run.GetProperty("historyEvents").EnumerateArray(), e => e.GetProperty("eventType").GetString() is "InputRejected" or "InputAccepted");
    }

    [Fact]
    public async Task RaiseEvent_OversizedBody_Returns413Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        var requestId = await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostOversizedAsync(
            $"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", $"\"{new string('x', 2_000_000)}\"", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }
}
