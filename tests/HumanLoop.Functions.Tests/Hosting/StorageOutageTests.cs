using System.Diagnostics;
using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Hosting;

/// <summary>The app on its own Azurite, which the test stops and starts again: an outage is a 503 problem, never a 500.</summary>
public sealed class StorageOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_DuringStorageOutage_Return503ProblemAndWorkAgainAfterwards()
    {
        using var timeout = TestTimeout.Start(180);
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: timeout.Token);
        await using var app = HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], azurite.Launcher.ConnectionString, "FnOutage" + Guid.NewGuid().ToString("N")[..12], new Xunit.Sdk.NullMessageSink());
        await app.StartAsync(timeout.Token);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        var id = await client.StartTravelAsync(timeout.Token);
        await client.WaitForOpenRequestAsync(id, timeout.Token);

        await azurite.Launcher.StopAsync(timeout.Token);
        var stopwatch = Stopwatch.StartNew();
        using (var status = await client.GetAsync($"{ApiClient.InstancesPath}/{id}", timeout.Token))
        {
            output.WriteLine($"status during the outage answered after {stopwatch.ElapsedMilliseconds} ms");
            var problem = await ApiClient.AssertProblemAsync(status, HttpStatusCode.ServiceUnavailable, timeout.Token);
            Assert.Equal("Storage unavailable", problem.GetProperty("title").GetString());
            Assert.True(status.Headers.RetryAfter is not null);
        }

        using (var start = await client.StartAsync("travel", ApiClient.NewId("outage"), """{"destination":"Riga"}""", timeout.Token))
        {
            await ApiClient.AssertProblemAsync(start, HttpStatusCode.ServiceUnavailable, timeout.Token);
        }

        await azurite.Launcher.StartAgainAsync(timeout.Token);
        var (after, body) = await client.GetStatusAsync(id, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, after);
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
        await app.StopAsync(timeout.Token);
    }
}
