using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class TerminateAndPurgeTests(HumanLoopAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Terminate_WaitingRun_Returns202AndTheRunEndsTerminatedWithTheReason()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/terminate?reason=changed%20my%20mind", null, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await _client.WaitForFinishedAsync(id, timeout.Token);
        Assert.Equal("Terminated", body.GetProperty("runtimeStatus").GetString());
        Assert.Contains("changed my mind", body.GetProperty("output").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminate_FinishedRun_Returns410Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = await FinishedRunAsync(timeout.Token);

        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/terminate?reason=late", null, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Gone, timeout.Token);
        var (_, status) = await _client.GetStatusAsync(id, timeout.Token);
        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task Terminate_UnknownRun_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.PostAsync($"{ApiClient.InstancesPath}/{ApiClient.NewId("missing")}/terminate", null, timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task Purge_FinishedRun_Returns200WithOneDeletedAndTheRunIsGone()
    {
        using var timeout = TestTimeout.Start();
        var id = await FinishedRunAsync(timeout.Token);

        using var response = await _client.DeleteAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        Assert.Equal("""{"instancesDeleted":1}""", body.GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
        using var again = await _client.DeleteAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token);
        await ApiClient.AssertProblemAsync(again, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task Purge_UnknownRun_Returns404Problem()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.DeleteAsync($"{ApiClient.InstancesPath}/{ApiClient.NewId("missing")}", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
    }

    [Fact]
    public async Task Purge_RunningRun_Returns409ProblemAndKeepsTheRun()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        await _client.WaitForOpenRequestAsync(id, timeout.Token);

        using var response = await _client.DeleteAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    private async Task<string> FinishedRunAsync(CancellationToken cancellationToken)
    {
        var id = await _client.StartTravelAsync(cancellationToken);
        var requestId = await _client.WaitForOpenRequestAsync(id, cancellationToken);
        using (var raised = await _client.PostAsync($"{ApiClient.InstancesPath}/{id}/raiseEvent/{Uri.EscapeDataString(requestId)}", ApiClient.Json("\"drive\""), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        }

        await _client.WaitForFinishedAsync(id, cancellationToken);
        return id;
    }
}
