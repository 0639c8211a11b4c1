using DurableTask.AzureStorage;
using DurableTask.Core;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.Engine;
using HumanLoop.Durable.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Benchmarks;

/// <summary>
/// The review workflow as a Durable Functions user writes it by hand: a draft activity, an approval event raced
/// with a deadline timer (cancelled when the answer wins), a publish activity. Registered through
/// <see cref="DurableTaskShimFactory"/> on a <see cref="TaskHubWorker"/> over its own fresh Azurite, with the same
/// <see cref="AzureStorageOrchestrationServiceSettings"/> HumanLoop's engine gets from the same options.
/// </summary>
internal sealed class HandWrittenReview : IAsyncDisposable
{
    public const string OrchestratorName = "HandReview";
    public const string ApprovalEvent = "Approval";
    public const string WaitingStatus = "waiting";

    private readonly AzuriteLauncher _azurite;
    private readonly TaskHubWorker _worker;

    private HandWrittenReview(AzuriteLauncher azurite, AzureStorageOrchestrationService service, TaskHubWorker worker, StorageTransactionCounter counter)
    {
        _azurite = azurite;
        Service = service;
        _worker = worker;
        Counter = counter;
        Client = new EngineDurableTaskClient(service);
    }

    public AzureStorageOrchestrationService Service { get; }

    public DurableTaskClient Client { get; }

    public StorageTransactionCounter Counter { get; }

    public static async Task<HandWrittenReview> StartAsync(Action<DurableHumanLoopOptions> configure, ILoggerFactory loggerFactory)
    {
        var azurite = await BenchAzurite.StartAsync("humanloop-bench-hand-");
        var counter = new StorageTransactionCounter { TrackResources = Environment.GetEnvironmentVariable("HUMANLOOP_BENCH_RESOURCES") is "1" };
        var options = new DurableHumanLoopOptions { HubName = "Hand" + Guid.NewGuid().ToString("N")[..8] };
        configure(options);
        var account = StorageAccountFactory.FromConnectionString(azurite.ConnectionString, new StorageClientSettings { PerCallPolicy = counter });
        var service = new AzureStorageOrchestrationService(EngineSettings.Create(options, account, loggerFactory));
        await service.CreateIfNotExistsAsync();

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), loggerFactory);
        var worker = new TaskHubWorker(service, loggerFactory);
        worker.AddTaskOrchestrations(new HumanLoop.Durable.Engine.NamedCreator<TaskOrchestration>(OrchestratorName, () => shims.CreateOrchestration(OrchestratorName, new ReviewOrchestrator())));
        worker.AddTaskActivities(
            new HumanLoop.Durable.Engine.NamedCreator<TaskActivity>(nameof(Draft), () => shims.CreateActivity(nameof(Draft), new Draft())),
            new HumanLoop.Durable.Engine.NamedCreator<TaskActivity>(nameof(Publish), () => shims.CreateActivity(nameof(Publish), new Publish())));
        await worker.StartAsync();
        return new HandWrittenReview(azurite, service, worker, counter);
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync(isForced: true);
        _worker.Dispose();
        await _azurite.DisposeAsync();
        BenchAzurite.DeleteData(_azurite);
    }

    /// <summary>The orchestrator a Durable Functions user would write.</summary>
    private sealed class ReviewOrchestrator : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            var draft = await context.CallActivityAsync<string>(nameof(Draft), input);
            context.SetCustomStatus(WaitingStatus);
            using var cancelTimer = new CancellationTokenSource();
            var answer = context.WaitForExternalEvent<string>(ApprovalEvent);
            var deadline = context.CreateTimer(context.CurrentUtcDateTime.AddDays(1), cancelTimer.Token);
            if (await Task.WhenAny(answer, deadline) != answer)
            {
                context.SetCustomStatus("timed out");
                return draft;
            }

            cancelTimer.Cancel();
            context.SetCustomStatus(answer.Result);
            return answer.Result == "approve" ? await context.CallActivityAsync<string>(nameof(Publish), draft) : draft;
        }
    }

    private sealed class Draft : Microsoft.DurableTask.TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) =>
            Task.FromResult($"A short article about {input}.");
    }

    private sealed class Publish : Microsoft.DurableTask.TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input)
        {
            LatencyProbe.NextNodeStarted(context.InstanceId);
            return Task.FromResult("published: " + input);
        }
    }
}
