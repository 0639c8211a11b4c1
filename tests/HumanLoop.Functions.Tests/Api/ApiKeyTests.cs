using System.Net.Http.Json;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>The app with <c>HumanLoop__Http__ApiKeys</c> set: every API endpoint wants a key, as Functions' function keys.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiKeyTests(HumanLoopAppFixture fixture) : IAsyncLifetime, IDisposable
{
    private const string Key = "k3y-one/with+symbols";
    private const string RotatedKey = "key-two";
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"],
            fixture.ConnectionString,
            "Keys" + Guid.NewGuid().ToString("N")[..12],
            new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { [AppSettings.ApiKeys] = $"{Key}, {RotatedKey}" });
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("POST", "/api/orchestrators/travel")]
    [InlineData("GET", "/runtime/webhooks/durabletask/instances")]
    [InlineData("GET", "/runtime/webhooks/durabletask/instances/some-run")]
    [InlineData("POST", "/runtime/webhooks/durabletask/instances/some-run/raiseEvent/choice")]
    [InlineData("POST", "/runtime/webhooks/durabletask/instances/some-run/terminate")]
    [InlineData("DELETE", "/runtime/webhooks/durabletask/instances/some-run")]
    [InlineData("GET", "/api/runs/some-run/requests")]
    [InlineData("POST", "/api/runs/some-run/requests/choose/respond")]
    public async Task Endpoint_WithoutAKey_Returns401ProblemSayingHowToSendOne(string method, string path)
    {
        using var timeout = TestTimeout.Start();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? ApiClient.Json("{}") : null };

        using var response = await _client.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("Unauthorized", problem.GetProperty("title").GetString());
        Assert.Contains("x-functions-key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("x-functions-key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-functions-key", "wrong")]
    [InlineData("x-functions-key", Key + "x")]
    [InlineData("code", "k3y-one")]
    public async Task Endpoint_WithAWrongKey_Returns401AndStartsNothing(string where, string value)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("forged");
        var path = $"/api/orchestrators/travel/{id}";
        using var request = new HttpRequestMessage(HttpMethod.Post, where == "code" ? $"{path}?code={Uri.EscapeDataString(value)}" : path)
        {
            Content = ApiClient.Json("""{"destination":"Porto"}"""),
        };
        if (where != "code")
        {
            request.Headers.Add(where, value);
        }

        using var response = await _client.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("The API key is not valid.", problem.GetProperty("detail").GetString());
        using var status = new HttpRequestMessage(HttpMethod.Get, $"/runtime/webhooks/durabletask/instances/{id}");
        status.Headers.Add("x-functions-key", Key);
        using var lookup = await _client.SendAsync(status, timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Start_WithTheKeyInTheHeader_ReturnsLinksCarryingItThatWorkAsGiven()
    {
        using var timeout = TestTimeout.Start();
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/orchestrators/travel") { Content = ApiClient.Json("""{"destination":"Porto"}""") };
        start.Headers.Add("x-functions-key", Key);

        using var response = await _client.SendAsync(start, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await ApiClient.ReadJsonAsync(response, timeout.Token);
        var code = "code=" + Uri.EscapeDataString(Key);
        Assert.EndsWith("?" + code, body.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/raiseEvent/{eventName}?" + code, body.GetProperty("sendEventPostUri").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/terminate?reason={text}&" + code, body.GetProperty("terminatePostUri").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("?" + code, body.GetProperty("purgeHistoryDeleteUri").GetString(), StringComparison.Ordinal);
        Assert.Equal(body.GetProperty("statusQueryGetUri").GetString(), response.Headers.Location!.ToString());

        // Followed without any header, as a poller that only knows the link would.
        using var status = await _client.GetAsync(response.Headers.Location, timeout.Token);
        Assert.True(status.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, status.StatusCode.ToString());
        var raise = body.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "choose", StringComparison.Ordinal);
        using var raised = await _client.PostAsJsonAsync(raise, "fly", timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
    }

    [Fact]
    public async Task Status_WithTheRotatedKeyAsCode_IsAnswered()
    {
        using var timeout = TestTimeout.Start();

        using var response = await _client.GetAsync($"/runtime/webhooks/durabletask/instances?code={RotatedKey}", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_NeedsNoKey_AndDeclaresTheKeyScheme()
    {
        using var timeout = TestTimeout.Start();

        using var response = await _client.GetAsync("/openapi/v1.json", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await ApiClient.ReadJsonAsync(response, timeout.Token);
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("x-functions-key", scheme.GetProperty("name").GetString());
        Assert.True(document.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
    }
}
