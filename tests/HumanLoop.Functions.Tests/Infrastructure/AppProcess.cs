using System.Diagnostics;
using System.Net.Sockets;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>The built app run as a child process, as an operator runs it: start, wait until it serves, signal it.</summary>
internal static class AppProcess
{
    public static Process Start(int port, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryPaths.Root(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AppPath());
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["AzureFunctionsJobHost__extensions__humanLoop__port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the app.");
    }

    /// <summary>
    /// The environment of an app on its own hub of an existing Azurite, quick to poll, whose crashed host's work the next
    /// host takes over after 10 s: a message the killed host had dequeued comes back after its visibility timeout (5
    /// minutes by default), which is how long the engine takes to recover a crashed host's work.
    /// </summary>
    public static Dictionary<string, string> OnHub(string connectionString, string hub) => new()
    {
        ["AzureWebJobsStorage"] = connectionString,
        ["HumanLoop__Azurite__AutoStart"] = "false",
        ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = hub,
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:00.2",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__useTablePartitionManagement"] = "true",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:00:10",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:10",
    };

    public static async Task WaitUntilServingAsync(HttpClient client, Process child, StringBuilder log, CancellationToken cancellationToken)
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

    /// <summary>Sends a signal: TERM as a service manager stops the app, KILL as a crash (Process.Kill is SIGKILL too).</summary>
    public static async Task SignalAsync(Process child, string signal, CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", ["-" + signal, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    public static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
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
}
