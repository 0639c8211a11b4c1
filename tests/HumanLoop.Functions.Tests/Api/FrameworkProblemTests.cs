using System.Net.Sockets;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>Errors the framework answers before an endpoint runs are problem details too, with a detail that says what was wrong.</summary>
[Collection(AppCollection.Name)]
public sealed class FrameworkProblemTests(HumanLoopAppFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Theory]
    [InlineData("GET", "/no/such/route", "No endpoint serves GET /no/such/route.")]
    [InlineData("POST", "/api/orchestrators", "No endpoint serves POST /api/orchestrators.")]
    [InlineData("GET", "/runtime/webhooks/durabletask/instances/a/b/c", "No endpoint serves GET /runtime/webhooks/durabletask/instances/a/b/c.")]
    public async Task UnknownRoute_Returns404ProblemNamingIt(string method, string path, string detail)
    {
        using var timeout = TestTimeout.Start();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await _client.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, timeout.Token);
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("PUT", "/runtime/webhooks/durabletask/instances/x", "DELETE, GET")]
    [InlineData("PATCH", "/api/orchestrators/travel", "POST")]
    [InlineData("DELETE", "/api/runs/x/requests/y/respond", "POST")]
    [InlineData("GET", "/runtime/webhooks/durabletask/instances/x/terminate", "POST")]
    public async Task WrongMethod_Returns405ProblemListingTheAllowedOnes(string method, string path, string allowed)
    {
        using var timeout = TestTimeout.Start();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await _client.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, timeout.Token);
        Assert.Equal($"{method} is not allowed on {path}; use {allowed}.", problem.GetProperty("detail").GetString());
        Assert.Equal(allowed, string.Join(", ", response.Content.Headers.Allow.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Start_BodyLargerThanTheLimitByContentLength_Returns413Problem()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("big");

        using var response = await _client.PostOversizedAsync($"/api/orchestrators/travel/{id}", new string(' ', 2_000_000) + "{}", timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, timeout.Token);
        Assert.Equal("The request body is larger than the limit of 1048576 bytes.", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }

    [Fact]
    public async Task Start_MalformedChunkedBody_Returns400ProblemAndCreatesNoRun()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("chunk");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.BaseAddress.Host, fixture.BaseAddress.Port, timeout.Token);
        await using var stream = tcp.GetStream();
        var head = $"POST /api/orchestrators/travel/{id} HTTP/1.1\r\nHost: {fixture.BaseAddress.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(timeout.Token);

        Assert.StartsWith("HTTP/1.1 400 ", text, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":400", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetStatusAsync(id, timeout.Token)).Status);
    }
}
