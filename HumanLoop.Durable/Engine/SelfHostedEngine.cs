using DurableTask.AzureStorage;
using DurableTask.Core;
using HumanLoop.Durable.Activities;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Orchestration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Engine;

/// <summary>
/// Runs HumanLoop on the Durable Task engine without the Functions host: DurableTask.Core's <see cref="TaskHubWorker"/>
/// over <see cref="AzureStorageOrchestrationService"/>, with the graph orchestrator registered under each graph's name
/// and the two activities, through the SDK's <see cref="DurableTaskShimFactory"/>.
/// </summary>
internal sealed partial class SelfHostedEngine : IHostedService, IAsyncDisposable
{
    private readonly AzureStorageOrchestrationService _service;
    private readonly IGraphCatalog _graphs;
    private readonly GraphActivities _activities;
    private readonly DurableHumanLoopOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private TaskHubWorker? _worker;

    public SelfHostedEngine(
        AzureStorageOrchestrationService service,
        IGraphCatalog graphs,
        GraphActivities activities,
        IOptions<DurableHumanLoopOptions> options,
        ILoggerFactory loggerFactory)
    {
        _service = service;
        _graphs = graphs;
        _activities = activities;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SelfHostedEngine>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_options.RunWorker)
        {
            return;
        }

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), _loggerFactory);
        var worker = new TaskHubWorker(_service, _loggerFactory);
        var orchestratorOptions = _options.CreateOrchestratorOptions();
        foreach (var graph in _graphs.Graphs)
        {
            var orchestrator = new GraphOrchestrator(graph, orchestratorOptions);
            worker.AddTaskOrchestrations(new NamedCreator<TaskOrchestration>(graph.Name, () => shims.CreateOrchestration(graph.Name, orchestrator)));
        }

        worker.AddTaskActivities(
            new NamedCreator<TaskActivity>(HumanLoopTaskNames.RunNode, () => shims.CreateActivity(HumanLoopTaskNames.RunNode, new JsonActivity(_activities.RunNodeAsync))),
            new NamedCreator<TaskActivity>(HumanLoopTaskNames.Record, () => shims.CreateActivity(HumanLoopTaskNames.Record, new JsonActivity(async (input, ct) =>
            {
                await _activities.RecordAsync(input, ct).ConfigureAwait(false);
                return Serialization.JsonValues.Null;
            }))));
        await worker.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _worker = worker;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var names = string.Join(", ", _graphs.Graphs.Select(g => g.Name));
            LogStarted(_logger, _options.HubName, names);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _worker, null) is not { } worker)
        {
            return;
        }

        try
        {
            await worker.StopAsync(isForced: false).WaitAsync(_options.ShutdownGracePeriod, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is still running is re-delivered by the engine once its queue messages become visible again.
            LogStopTimedOut(_logger, _options.ShutdownGracePeriod);
        }

        worker.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Durable Task engine started on hub {Hub} with graph orchestrators {Graphs}")]
    private static partial void LogStarted(ILogger logger, string hub, string graphs);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "The engine did not stop within {Grace}; the work left is re-delivered")]
    private static partial void LogStopTimedOut(ILogger logger, TimeSpan grace);

    /// <summary>An activity whose input and output are JSON, handed to one of <see cref="GraphActivities"/>' methods.</summary>
    private sealed class JsonActivity(Func<System.Text.Json.JsonElement, CancellationToken, Task<System.Text.Json.JsonElement>> body)
        : Microsoft.DurableTask.TaskActivity<System.Text.Json.JsonElement, System.Text.Json.JsonElement>
    {
        public override Task<System.Text.Json.JsonElement> RunAsync(TaskActivityContext context, System.Text.Json.JsonElement input) =>
            body(input, CancellationToken.None);
    }
}
