using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>
/// <c>Location</c> and the management links never take a host the server does not have from the <c>Host</c> header:
/// they use <c>HumanLoop__Http__BaseUrl</c>, else the request's host when it names this server, else its listening address.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ManagementLinkTests(HumanLoopAppFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private string Listening => fixture.BaseAddress.ToString().TrimEnd('/');

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1.evil.example:{port}")]
    [InlineData("localhost.evil.example:{port}")]
    [InlineData("127.0.0.1:1")]
    public async Task Start_ForgedHostHeader_LinksAndLocationUseTheListeningAddress(string host)
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("host");

        using var response = await StartWithHostAsync(_client, id, host.Replace("{port}", fixture.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = $"{Listening}{ApiClient.InstancesPath}/{id}";
        Assert.Equal(new Uri(status), response.Headers.Location);
        AssertLinks(await ApiClient.ReadJsonAsync(response, timeout.Token), status);
    }

    [Fact]
    public async Task GetStatus_ForgedHostHeader_LocationUsesTheListeningAddress()
    {
        using var timeout = TestTimeout.Start();
        var id = await _client.StartTravelAsync(timeout.Token);
        await _client.WaitForOpenRequestAsync(id, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ApiClient.InstancesPath}/{id}");
        request.Headers.Host = "evil.example";

        using var response = await _client.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new Uri($"{Listening}{ApiClient.InstancesPath}/{id}"), response.Headers.Location);
    }

    [Fact]
    public async Task Start_LoopbackNameWithTheListeningPort_KeepsTheCallersHost()
    {
        using var timeout = TestTimeout.Start();
        var id = ApiClient.NewId("host");
        var host = $"localhost:{fixture.BaseAddress.Port}";

        using var response = await StartWithHostAsync(_client, id, host, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = $"http://{host}{ApiClient.InstancesPath}/{id}";
        Assert.Equal(new Uri(status), response.Headers.Location);
        AssertLinks(await ApiClient.ReadJsonAsync(response, timeout.Token), status);
    }

    [Fact]
    public async Task Start_WithBaseUrlConfigured_LinksUseItWhateverTheHostHeader()
    {
        using var timeout = TestTimeout.Start();
        await using var app = HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], fixture.ConnectionString, fixture.HubName, new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { [AppSettings.BaseUrl] = "https://humanloop.example.com/hl/" });
        await app.StartAsync(timeout.Token);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var id = ApiClient.NewId("base");

        using var response = await StartWithHostAsync(client, id, "evil.example", timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = $"https://humanloop.example.com/hl{ApiClient.InstancesPath}/{id}";
        Assert.Equal(new Uri(status), response.Headers.Location);
        AssertLinks(await ApiClient.ReadJsonAsync(response, timeout.Token), status);
        await app.StopAsync(timeout.Token);
    }

    [Theory]
    [InlineData("humanloop.example.com")]
    [InlineData("ftp://humanloop.example.com")]
    [InlineData("https://humanloop.example.com/?x=1")]
    [InlineData("https://humanloop.example.com/#top")]
    [InlineData("https://user:pass@humanloop.example.com")]
    public void Create_InvalidBaseUrl_ThrowsNamingTheSetting(string baseUrl)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], fixture.ConnectionString, fixture.HubName, new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { [AppSettings.BaseUrl] = baseUrl }));

        Assert.Contains(AppSettings.BaseUrl, ex.Message, StringComparison.Ordinal);
        Assert.Contains("absolute http or https URL", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> StartWithHostAsync(HttpClient client, string id, string host, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/orchestrators/travel/{id}") { Content = ApiClient.Json("""{"destination":"Porto"}""") };
        request.Headers.Host = host;
        return await client.SendAsync(request, cancellationToken);
    }

    private static void AssertLinks(JsonElement body, string status)
    {
        Assert.Equal(status, body.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal(status + "/raiseEvent/{eventName}", body.GetProperty("sendEventPostUri").GetString());
        Assert.Equal(status + "/terminate?reason={text}", body.GetProperty("terminatePostUri").GetString());
        Assert.Equal(status, body.GetProperty("purgeHistoryDeleteUri").GetString());
        Assert.DoesNotContain("evil", body.GetRawText(), StringComparison.Ordinal);
    }
}
