using System.Diagnostics;
using HumanLoop.Durable.Azurite;
using HumanLoop.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Hosting;

/// <summary>
/// The app as a child process with no verb and <c>UseDevelopmentStorage=true</c>: it serves on the port from its
/// settings, on Azurite at 10000-10002 (starting the pinned one, with its data in a temporary folder, when nothing
/// answers there), and on SIGTERM stops
/// gracefully, taking down Azurite only if it started it.
/// </summary>
public sealed class ServeProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_DefaultVerbWithDevelopmentStorage_ServesAndStopsOnlyTheAzuriteItStarted()
    {
        using var timeout = TestTimeout.Start(180);
        var azuriteWasRunning = await AzuriteLauncher.IsRunningOnDefaultPortsAsync(timeout.Token);
        var port = FreePort();
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-serve-test-" + Guid.NewGuid().ToString("N"));
        using var child = StartApp(port, dataFolder);
        var log = new StringBuilder();
        child.OutputDataReceived += (_, e) => Append(log, e.Data);
        child.ErrorDataReceived += (_, e) => Append(log, e.Data);
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitUntilServingAsync(client, child, log, timeout.Token);

            var id = await client.StartTravelAsync(timeout.Token);
            await client.WaitForOpenRequestAsync(id, timeout.Token);
            Assert.True(await AzuriteLauncher.IsRunningOnDefaultPortsAsync(timeout.Token));

            await TerminateAsync(child, timeout.Token);
            await child.WaitForExitAsync(timeout.Token);
            output.WriteLine(Snapshot(log));

            Assert.Equal(0, child.ExitCode);
            Assert.Equal(azuriteWasRunning, await AzuriteLauncher.IsRunningOnDefaultPortsAsync(timeout.Token));
            Assert.Contains(azuriteWasRunning ? "Azurite already answers" : "Azurite started", Snapshot(log), StringComparison.Ordinal);
            Assert.Equal(!azuriteWasRunning, Directory.Exists(dataFolder));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                output.WriteLine(Snapshot(log));
            }

            if (Directory.Exists(dataFolder))
            {
                Directory.Delete(dataFolder, recursive: true);
            }
        }
    }

    private static Process StartApp(int port, string dataFolder) => AppProcess.Start(port, new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["HumanLoop__Azurite__AutoStart"] = "true",
        ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "FnServe" + Guid.NewGuid().ToString("N")[..12],
        ["AzureFunctionsJobHost__extensions__humanLoop__azuriteDataFolder"] = dataFolder,
    });

    private static Task WaitUntilServingAsync(HttpClient client, Process child, StringBuilder log, CancellationToken cancellationToken) =>
        AppProcess.WaitUntilServingAsync(client, child, log, cancellationToken);

    private static Task TerminateAsync(Process child, CancellationToken cancellationToken) => AppProcess.SignalAsync(child, "TERM", cancellationToken);

    private static int FreePort() => AppProcess.FreePort();

    private static void Append(StringBuilder log, string? line) => AppProcess.Append(log, line);

    private static string Snapshot(StringBuilder log) => AppProcess.Snapshot(log);
}
