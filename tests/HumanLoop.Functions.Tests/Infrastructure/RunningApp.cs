using System.Diagnostics;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>The built app running as a child process (<see cref="AppProcess"/>), its output kept and written to the test's output when it is disposed.</summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ITestOutputHelper _output;

    private RunningApp(Process process, ITestOutputHelper output)
    {
        _process = process;
        _output = output;
        process.OutputDataReceived += (_, e) => AppProcess.Append(Log, e.Data);
        process.ErrorDataReceived += (_, e) => AppProcess.Append(Log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public StringBuilder Log { get; } = new();

    /// <summary>Starts the app on <paramref name="port"/> with <paramref name="environment"/> and returns once it serves.</summary>
    public static async Task<RunningApp> StartAsync(int port, IReadOnlyDictionary<string, string> environment, HttpClient client, ITestOutputHelper output, CancellationToken cancellationToken)
    {
        var running = new RunningApp(AppProcess.Start(port, environment), output);
        try
        {
            await AppProcess.WaitUntilServingAsync(client, running._process, running.Log, cancellationToken);
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the app with SIGKILL, as a crash: no shutdown code runs.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        await AppProcess.SignalAsync(_process, "KILL", cancellationToken);
        await _process.WaitForExitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _output.WriteLine(AppProcess.Snapshot(Log));
        _process.Dispose();
    }
}
