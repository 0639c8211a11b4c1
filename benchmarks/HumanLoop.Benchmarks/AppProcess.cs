using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HumanLoop.Benchmarks;

/// <summary>
/// The built self-hosted app (HumanLoop.Functions) as its own process on a free port and its own task hub, as an
/// operator runs it, so the benchmark measures the app's memory apart from its clients'.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private AppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Where the app serves.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The app's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts the app on <paramref name="connectionString"/> and waits until it serves.</summary>
    public static async Task<AppProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var root = RepositoryRoot();
#if DEBUG
        const string Configuration = "Debug";
#else
        const string Configuration = "Release";
#endif
        var dll = Path.Combine(root, "HumanLoop.Functions", "bin", Configuration, "net10.0", "HumanLoop.Functions.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the app first: dotnet build -c {Configuration} HumanLoop.Functions", dll);
        }

        int port = FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.Environment["AzureWebJobsStorage"] = connectionString;
        info.Environment["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "Bench" + Guid.NewGuid().ToString("N")[..8];
        info.Environment["AzureFunctionsJobHost__extensions__humanLoop__port"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var app = new AppProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start the app."), new Uri($"http://127.0.0.1:{port}"));
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (app._process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"The app did not start serving:\n{app.Log()}");
            }

            try
            {
                using var response = await http.GetAsync("/openapi/v1.json");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return app;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not serving yet.
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The app's working set now, in bytes.</summary>
    public long WorkingSet()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    /// <summary>The app's last lines of output.</summary>
    public string Log()
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HumanLoop.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run the benchmark from the repository (HumanLoop.sln not found above it).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
