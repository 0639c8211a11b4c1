using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Dispatching;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.Runs;
using HumanLoop.Durable.Timers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HumanLoop.Durable.DependencyInjection;

/// <summary>Registers HumanLoop's durable runtime on Azure Storage.</summary>
public static class DurableHumanLoopServiceCollectionExtensions
{
    /// <summary>
    /// Registers the durable runtime: the task hub on Azure Storage, <see cref="IDurableRunClient"/>, and (unless
    /// <see cref="DurableHumanLoopOptions.RunDispatchers"/> is off) a hosted service that runs the control-queue and
    /// work-item dispatchers, the durable timers and the recovery sweep. Options are validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options after their defaults (and after <see cref="DurableHumanLoopBuilder.UseHostJson"/>).</param>
    /// <returns>A builder to register graphs and bind settings.</returns>
    public static DurableHumanLoopBuilder AddDurableHumanLoop(this IServiceCollection services, Action<DurableHumanLoopOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DurableHumanLoopOptions>()
            .ValidateDataAnnotations()
            .Validate(
                o => OptionsValidator.Validate(o.StorageProvider, "storageProvider").Count == 0,
                "DurableHumanLoopOptions.StorageProvider is invalid; see StorageProviderOptions for each setting's range.")
            .ValidateOnStart();
        if (configure is not null)
        {
            // Post-configure, so explicit code wins over host.json applied through the builder later in the chain.
            services.PostConfigure(configure);
        }

        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGraphCatalog, GraphCatalog>();
        services.TryAddSingleton<TaskHubStorage>();
        services.TryAddSingleton<WorkSignals>();
        services.TryAddSingleton<RunStore>();
        services.TryAddSingleton<TimerStore>();
        services.TryAddSingleton<OutboxDispatcher>();
        services.TryAddSingleton<RunProcessor>();
        services.TryAddSingleton<WorkItemExecutor>();
        services.TryAddSingleton<IDurableRunClient, DurableRunClient>();
        services.AddHostedService<DurableHostService>();
        return new DurableHumanLoopBuilder(services);
    }
}
