using System.Diagnostics;
using System.Net.Sockets;
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

    private static Process StartApp(int port, string dataFolder)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryPaths.Root(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AppPath());
        info.Environment["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        info.Environment["HumanLoop__Azurite__AutoStart"] = "true";
        info.Environment["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "FnServe" + Guid.NewGuid().ToString("N")[..12];
        info.Environment["AzureFunctionsJobHost__extensions__humanLoop__port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["AzureFunctionsJobHost__extensions__humanLoop__azuriteDataFolder"] = dataFolder;
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the app.");
    }

    private static async Task WaitUntilServingAsync(HttpClient client, Process child, StringBuilder log, CancellationToken cancellationToken)
    {
        while (true)
        {
            Assert.False(child.HasExited, $"The app exited with {(child.HasExited ? child.ExitCode : 0)}:\n{Snapshot(log)}");
            try
            {
                using var response = await client.GetAsync("/openapi/v1.json", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task TerminateAsync(Process child, CancellationToken cancellationToken)
    {
        // SIGTERM, as a service manager stops the app; Process.Kill would be SIGKILL.
        using var kill = Process.Start("kill", ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
    }

    private static string AppPath()
    {
        // The test's own output folder ends in bin/{Configuration}/net10.0; the app is built to the same pattern.
        var tfmFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmFolder.Parent!.Name;
        var path = Path.Combine(RepositoryPaths.Root(), "HumanLoop.Functions", "bin", configuration, tfmFolder.Name, "HumanLoop.Functions.dll");
        Assert.True(File.Exists(path), $"The app is not built at {path}.");
        return path;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
