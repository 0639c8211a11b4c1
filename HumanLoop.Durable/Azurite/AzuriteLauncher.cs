using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanLoop.Durable.Azurite;

/// <summary>
/// Runs Azurite (the Azure Storage emulator, pinned in the repository's package.json) as a child process
/// on 127.0.0.1, for local runs, tests and benchmarks.
/// </summary>
/// <remarks>
/// <see cref="StartAsync"/> installs Azurite with npm when <c>node_modules/.bin/azurite</c> is missing,
/// starts it, and returns once the Blob, Queue and Table ports all answer HTTP requests.
/// <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> take the same instance down and up again on
/// the same ports and data folder, which is how tests simulate a storage outage. Disposing stops Azurite;
/// the data folder is left in place. If this process exits without disposing, Azurite is killed too.
/// </remarks>
public sealed partial class AzuriteLauncher : IAsyncDisposable
{
    private const string Host = "127.0.0.1";
    private const int PortAttempts = 3;

    private readonly string _executable;
    private readonly string _workingDirectory;
    private readonly (int Blob, int Queue, int Table) _requestedPorts;
    private readonly TimeSpan _startupTimeout;
    private readonly TimeSpan _shutdownGracePeriod;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly EventHandler _onProcessExit;
    private Process? _process;
    private OutputTail _stdout = new();
    private OutputTail _stderr = new();
    private readonly bool _inMemory;
    private bool _disposed;

    private AzuriteLauncher(string executable, string workingDirectory, string dataFolder, AzuriteOptions options, ILogger logger)
    {
        _executable = executable;
        _workingDirectory = workingDirectory;
        _requestedPorts = (options.BlobPort, options.QueuePort, options.TablePort);
        _startupTimeout = options.StartupTimeout;
        _shutdownGracePeriod = options.ShutdownGracePeriod;
        _logger = logger;
        _inMemory = options.InMemory;
        DataFolder = dataFolder;
        BlobPort = options.BlobPort;
        QueuePort = options.QueuePort;
        TablePort = options.TablePort;
        _onProcessExit = (_, _) => KillNow();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    /// <summary>Gets the Blob service port.</summary>
    public int BlobPort { get; private set; }

    /// <summary>Gets the Queue service port.</summary>
    public int QueuePort { get; private set; }

    /// <summary>Gets the Table service port.</summary>
    public int TablePort { get; private set; }

    /// <summary>Gets the full path of the folder Azurite keeps its data in (unused when <see cref="AzuriteOptions.InMemory"/> is set).</summary>
    public string DataFolder { get; }

    /// <summary>
    /// Gets a connection string for the emulator account (<c>devstoreaccount1</c>) with explicit
    /// <c>BlobEndpoint</c>, <c>QueueEndpoint</c> and <c>TableEndpoint</c> on this instance's ports.
    /// </summary>
    public string ConnectionString => DevelopmentStorage.CreateConnectionString(BlobPort, QueuePort, TablePort);

    /// <summary>Gets a value indicating whether the Azurite process is running.</summary>
    public bool IsRunning
    {
        get
        {
            var process = _process;
            try
            {
                return process is not null && !process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>Gets the id of the Azurite process, or <see langword="null"/> when it is not running.</summary>
    public int? ProcessId => IsRunning ? _process?.Id : null;

    /// <summary>
    /// Installs Azurite if needed, starts it and waits until its Blob, Queue and Table ports answer.
    /// </summary>
    /// <param name="options">Ports (0 = pick free ones), data folder, repository root and timeouts.</param>
    /// <param name="logger">Receives progress and Azurite's output at debug level; optional.</param>
    /// <param name="cancellationToken">Cancels installing and waiting; a started process is killed.</param>
    /// <returns>The running launcher; dispose it to stop Azurite.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="AzuriteStartException">
    /// npm or node is missing, the install failed, Azurite exited early (for example because a port is taken;
    /// the message includes its error output), or it did not answer within <see cref="AzuriteOptions.StartupTimeout"/>.
    /// </exception>
    public static async Task<AzuriteLauncher> StartAsync(
        AzuriteOptions options,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator.ThrowIfInvalid(options, nameof(options));
        logger ??= NullLogger.Instance;

        var root = AzuriteInstallation.FindPackageRoot(options.RepositoryRoot);
        var executable = await AzuriteInstallation.EnsureInstalledAsync(root, options, logger, cancellationToken);
        var dataFolder = Path.GetFullPath(options.DataFolder ?? Path.Combine(root, ".azurite"));
        if (!options.InMemory)
        {
            Directory.CreateDirectory(dataFolder);
        }

        var launcher = new AzuriteLauncher(executable, root, dataFolder, options, logger);
        try
        {
            var anyPortToPick = options.BlobPort == 0 || options.QueuePort == 0 || options.TablePort == 0;
            await launcher.LaunchAsync(mayPickNewPorts: anyPortToPick, cancellationToken);
            return launcher;
        }
        catch
        {
            await launcher.DisposeAsync();
            throw;
        }
    }

    /// <summary>Returns whether something answers HTTP on Azurite's default ports 10000, 10001 and 10002 of 127.0.0.1.</summary>
    /// <param name="cancellationToken">Cancels the probes.</param>
    /// <returns><see langword="true"/> when all three ports answer within about two seconds.</returns>
    public static Task<bool> IsRunningOnDefaultPortsAsync(CancellationToken cancellationToken = default) =>
        AzuritePortProbe.AreAnsweringAsync(
            [DevelopmentStorage.DefaultBlobPort, DevelopmentStorage.DefaultQueuePort, DevelopmentStorage.DefaultTablePort],
            cancellationToken);

    /// <summary>
    /// Stops Azurite: asks it to shut down (SIGTERM, so it saves its data) and kills the process tree if it
    /// has not exited within <see cref="AzuriteOptions.ShutdownGracePeriod"/>; on Windows it kills the tree
    /// at once. Does nothing when Azurite is not running. The ports and data folder are kept for
    /// <see cref="StartAgainAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the clean shutdown; the process is then killed.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Starts Azurite again on the same ports and data folder, after <see cref="StopAsync"/>; data written
    /// before the stop is there again. When Azurite is running, it is stopped first (a restart).
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting; a started process is killed.</param>
    /// <returns>A task that completes when all three ports answer.</returns>
    /// <exception cref="AzuriteStartException">
    /// Azurite exited early (for example because another process took one of the ports meanwhile) or did not
    /// answer within <see cref="AzuriteOptions.StartupTimeout"/>.
    /// </exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync(cancellationToken);
            await LaunchCoreAsync(mayPickNewPorts: false, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops Azurite (see <see cref="StopAsync"/>) and releases the launcher. The data folder is kept.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await StopCoreAsync(CancellationToken.None);
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
            _gate.Release();
        }
    }

    private async Task LaunchAsync(bool mayPickNewPorts, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await LaunchCoreAsync(mayPickNewPorts, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LaunchCoreAsync(bool mayPickNewPorts, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_startupTimeout);
        var stopwatch = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            if (mayPickNewPorts)
            {
                AssignPorts();
            }

            try
            {
                StartProcess();
                await WaitUntilReadyAsync(deadline.Token, cancellationToken);
                LogReady(_logger, BlobPort, QueuePort, TablePort, stopwatch.Elapsed.TotalSeconds);
                return;
            }
            catch (AzuriteStartException ex) when (ex.IsPortInUse
                && attempt < PortAttempts
                && !deadline.IsCancellationRequested
                && (!mayPickNewPorts || !IsRequestedPort(ex.ConflictingPort)))
            {
                // A port picked free was taken before Azurite bound it (or, on a restart, the old socket lingered).
                // A port the caller asked for explicitly is not retried: it would fail the same way.
                LogPortInUse(_logger, attempt, ex.StandardError);
                KillNow();
                if (!mayPickNewPorts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), deadline.Token);
                }
            }
            catch
            {
                KillNow();
                throw;
            }
        }
    }

    private bool IsRequestedPort(int? port) =>
        port is { } p && (p == _requestedPorts.Blob || p == _requestedPorts.Queue || p == _requestedPorts.Table);

    private void AssignPorts()
    {
        // Only the ports left at 0 are picked; explicit ones are kept.
        var free = AzuritePortProbe.FindFreePorts(3);
        BlobPort = _requestedPorts.Blob == 0 ? free[0] : _requestedPorts.Blob;
        QueuePort = _requestedPorts.Queue == 0 ? free[1] : _requestedPorts.Queue;
        TablePort = _requestedPorts.Table == 0 ? free[2] : _requestedPorts.Table;
    }

    private void StartProcess()
    {
        var startInfo = new ProcessStartInfo(_executable)
        {
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in (string[])
            [
                "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                .. (_inMemory ? (string[])["--inMemoryPersistence"] : ["--location", DataFolder]),
                "--blobHost", Host, "--blobPort", Port(BlobPort),
                "--queueHost", Host, "--queuePort", Port(QueuePort),
                "--tableHost", Host, "--tablePort", Port(TablePort),
            ])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var stdout = new OutputTail();
        var stderr = new OutputTail();
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            stdout.Add(e.Data);
            if (e.Data is not null)
            {
                LogOutput(_logger, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            stderr.Add(e.Data);
            if (e.Data is not null)
            {
                LogErrorOutput(_logger, e.Data);
            }
        };

        LogStarting(_logger, BlobPort, QueuePort, TablePort, _inMemory ? "memory" : DataFolder);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new AzuriteStartException(
                $"Could not run '{_executable}': {ex.Message}. Azurite needs Node.js 20 or later on PATH.",
                ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _stdout = stdout;
        _stderr = stderr;

        static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
    }

    private async Task WaitUntilReadyAsync(CancellationToken deadline, CancellationToken callerToken)
    {
        var process = _process!;
        var delay = TimeSpan.FromMilliseconds(50);
        int[] ports = [BlobPort, QueuePort, TablePort];
        while (true)
        {
            try
            {
                if (process.HasExited)
                {
                    // Let the output readers drain so the message carries Azurite's last words.
                    using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    try
                    {
                        await process.WaitForExitAsync(drain.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // The exit is what matters; the output may be incomplete.
                    }

                    var stderr = _stderr.ToString();
                    throw new AzuriteStartException(
                        $"Azurite exited with code {process.ExitCode} before its ports ({Ports()}) answered. " +
                        $"Error output:{Environment.NewLine}{(stderr.Length == 0 ? "(none)" : stderr)}" +
                        $"{Environment.NewLine}Output:{Environment.NewLine}{_stdout}",
                        process.ExitCode,
                        stderr);
                }

                // Checking the process again after the probe guards against another server owning the ports.
                if (await AzuritePortProbe.AreAnsweringAsync(ports, deadline) && !process.HasExited)
                {
                    return;
                }

                await Task.Delay(delay, deadline);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw new AzuriteStartException(
                    $"Azurite did not answer on ports {Ports()} within {_startupTimeout}. " +
                    $"Error output:{Environment.NewLine}{_stderr}{Environment.NewLine}Output:{Environment.NewLine}{_stdout}",
                    exitCode: null,
                    _stderr.ToString());
            }
        }

        string Ports() => string.Create(CultureInfo.InvariantCulture, $"blob {BlobPort}, queue {QueuePort}, table {TablePort}");
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        try
        {
            if (process.HasExited)
            {
                return;
            }

            var graceful = false;
            if (_shutdownGracePeriod > TimeSpan.Zero && PosixSignals.TryTerminate(process.Id))
            {
                using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                grace.CancelAfter(_shutdownGracePeriod);
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                    graceful = true;
                }
                catch (OperationCanceledException)
                {
                    // Too slow or cancelled: kill below.
                }
            }

            if (!graceful)
            {
                process.Kill(entireProcessTree: true);
                using var killed = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(killed.Token);
            }

            LogStopped(_logger, process.Id, graceful ? "shut down cleanly" : "was killed");
        }
        finally
        {
            process.Dispose();
        }
    }

    private void KillNow()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Win32Exception)
        {
            // Exiting at the same moment.
        }
        finally
        {
            process.Dispose();
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Starting Azurite on 127.0.0.1 (blob {BlobPort}, queue {QueuePort}, table {TablePort}) with data in {DataFolder}")]
    private static partial void LogStarting(ILogger logger, int blobPort, int queuePort, int tablePort, string dataFolder);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Azurite is ready (blob {BlobPort}, queue {QueuePort}, table {TablePort}) after {Seconds:0.00} s")]
    private static partial void LogReady(ILogger logger, int blobPort, int queuePort, int tablePort, double seconds);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Azurite could not bind its ports (attempt {Attempt}); trying again. {StandardError}")]
    private static partial void LogPortInUse(ILogger logger, int attempt, string standardError);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Azurite process {ProcessId} {How}")]
    private static partial void LogStopped(ILogger logger, int processId, string how);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Debug, Message = "azurite: {Line}")]
    private static partial void LogOutput(ILogger logger, string line);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Debug, Message = "azurite (stderr): {Line}")]
    private static partial void LogErrorOutput(ILogger logger, string line);
}
