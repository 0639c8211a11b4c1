using System.Diagnostics;

namespace HumanLoop.Durable.Tests.Runtime;

/// <summary>The test host (HumanLoop.Durable.TestHost) in a child process, to be killed like a crashed server.</summary>
internal sealed class ChildProcessHost : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcessHost(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public static async Task<ChildProcessHost> StartAsync(string connectionString, string hub, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "HumanLoop.Durable.TestHost.dll");
        Assert.True(File.Exists(dll), $"The test host is not built next to the tests: {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(connectionString);
        info.ArgumentList.Add(hub);
        var process = Process.Start(info)!;
        var log = Path.Combine(Path.GetTempPath(), $"humanloop-testhost-{hub}-{process.Id}.log");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (process)
                {
                    File.AppendAllText(log, e.Data + Environment.NewLine);
                }
            }
        };
        process.BeginErrorReadLine();
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The test host exited ({(process.HasExited ? process.ExitCode : -1)}) before it was ready.");
            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                break;
            }
        }

        // Keep draining its output so it never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lock (process)
                {
                    File.AppendAllText(log, line + Environment.NewLine);
                }
            }
        }, CancellationToken.None);
        return new ChildProcessHost(process);
    }

    /// <summary>SIGKILL: no graceful shutdown, no finally blocks.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }
}
