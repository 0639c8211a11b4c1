using HumanLoop.Durable.Azurite;

namespace HumanLoop.Functions.Hosting;

/// <summary>
/// Starts the pinned Azurite when the app uses <c>UseDevelopmentStorage=true</c> and nothing answers on ports
/// 10000-10002, before the task hub's services start (it is registered first), and stops it after they have
/// stopped; an Azurite that was already running is left alone.
/// </summary>
internal sealed partial class DevelopmentStorageService(AzuriteOptions options, ILogger<DevelopmentStorageService> logger) : IHostedService, IAsyncDisposable
{
    private AzuriteLauncher? _launcher;

    /// <summary>Whether this host started Azurite (and so will stop it).</summary>
    public bool StartedAzurite => _launcher is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await AzuriteLauncher.IsRunningOnDefaultPortsAsync(cancellationToken))
        {
            LogAlreadyRunning(logger);
            return;
        }

        LogStarting(logger, options.DataFolder ?? ".azurite next to package.json");
        _launcher = await AzuriteLauncher.StartAsync(options, logger, cancellationToken);
        LogStarted(logger, _launcher.ProcessId ?? 0, _launcher.DataFolder);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_launcher is { } launcher)
        {
            LogStopping(logger);
            await launcher.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_launcher is { } launcher)
        {
            _launcher = null;
            await launcher.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Azurite already answers on ports 10000-10002; using it")]
    private static partial void LogAlreadyRunning(ILogger logger);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Nothing answers on ports 10000-10002; starting the pinned Azurite (data in {DataFolder})")]
    private static partial void LogStarting(ILogger logger, string dataFolder);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Azurite started (process {ProcessId}, data in {DataFolder})")]
    private static partial void LogStarted(ILogger logger, int processId, string dataFolder);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Stopping the Azurite this host started")]
    private static partial void LogStopping(ILogger logger);
}
