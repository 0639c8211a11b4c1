using System.Net.Sockets;
using HumanLoop.Durable.Configuration;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Hosting;

// Its own app and hub: these tests start second hosts on the hub, and the partition rebalancing that follows must not
// stall the runs of other test classes.
public sealed class HostingTests(HumanLoopAppFixture app, ITestOutputHelper output) : IClassFixture<HumanLoopAppFixture>
{
    private readonly HttpClient _client = app.Client;

    [Fact]
    public async Task OpenApi_Document_DescribesEveryEndpoint()
    {
        using var timeout = TestTimeout.Start();
        using var response = await _client.GetAsync("/openapi/v1.json", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await ApiClient.ReadJsonAsync(response, timeout.Token);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(
            new HashSet<string>
            {
                "/api/orchestrators/{graph}",
                "/api/orchestrators/{graph}/{instanceId}",
                "/runtime/webhooks/durabletask/instances",
                "/runtime/webhooks/durabletask/instances/{instanceId}",
                "/runtime/webhooks/durabletask/instances/{instanceId}/raiseEvent/{eventName}",
                "/runtime/webhooks/durabletask/instances/{instanceId}/terminate",
                "/api/runs/{instanceId}/requests",
                "/api/runs/{instanceId}/requests/{requestId}",
                "/api/runs/{instanceId}/requests/{requestId}/respond",
            },
            paths);
    }

    [Theory]
    [InlineData("GET", "/no/such/route", HttpStatusCode.NotFound)]
    [InlineData("PUT", "/runtime/webhooks/durabletask/instances/x", HttpStatusCode.MethodNotAllowed)]
    public async Task UnmatchedRequest_ReturnsProblemDetails(string method, string path, HttpStatusCode expected)
    {
        using var timeout = TestTimeout.Start();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await _client.SendAsync(request, timeout.Token);

        await ApiClient.AssertProblemAsync(response, expected, timeout.Token);
    }

    [Fact]
    public async Task Create_WithoutUrls_ListensOnThePortFromHostJsonSettings()
    {
        using var timeout = TestTimeout.Start();
        var port = FreePort();
        await using var second = HumanLoopAppFixture.StartApp(
            [],
            app.ConnectionString,
            app.HubName,
            new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { ["AzureFunctionsJobHost:extensions:humanLoop:port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await second.StartAsync(timeout.Token);
        output.WriteLine(string.Join(", ", second.Urls));

        Assert.Equal($"http://localhost:{port}", Assert.Single(second.Urls));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var response = await client.GetAsync("/openapi/v1.json", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // A second host on the same hub sees the runs of the first.
        var id = await _client.StartTravelAsync(timeout.Token);
        using var status = await client.GetAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token);
        Assert.True(status.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{(int)status.StatusCode}");
        await second.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task Serve_PortHeldByAnotherProcess_Exits69WithAOneLineReason()
    {
        using var timeout = TestTimeout.Start();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        int exitCode;
        try
        {
            exitCode = await ServeCommand.RunAsync(
                [
                    "serve", "--urls", $"http://127.0.0.1:{port}",
                    "--AzureWebJobsStorage", app.ConnectionString,
                    "--AzureFunctionsJobHost:extensions:durableTask:hubName", app.HubName,
                    "--Logging:LogLevel:Default", "None",
                ],
                timeout.Token);
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.Equal(ServeCommand.Unavailable, exitCode);
        Assert.Contains($"127.0.0.1:{port}", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("another port", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidHubNameOverride_ThrowsHostJsonExceptionNamingTheKey()
    {
        var ex = Assert.Throws<HostJsonException>(() => HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], app.ConnectionString, "9-not-a-hub", new Xunit.Sdk.NullMessageSink()));

        Assert.Contains(ex.Problems, p => p.Contains("hubName", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Create_NonPositiveBodyLimit_ThrowsNamingTheSetting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], app.ConnectionString, app.HubName, new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { [AppSettings.MaxRequestBodyBytes] = "0" }));

        Assert.Contains(AppSettings.MaxRequestBodyBytes, ex.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
