using DurableTask.AzureStorage;
using HumanLoop.Durable.Activities;
using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Callbacks;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Engine;
using HumanLoop.Durable.Graphs;
using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.Notifications;
using HumanLoop.Durable.RunEvents;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.DependencyInjection;

/// <summary>Registers HumanLoop on the Durable Task engine.</summary>
public static class DurableHumanLoopServiceCollectionExtensions
{
    /// <summary>
    /// Adds HumanLoop's graph orchestrator, activities, human-task and run-event stores and run client. With
    /// <see cref="DurableHumanLoopBuilder.SelfHosted"/> the engine itself runs in this process (DurableTask.Core's worker
    /// over Azure Storage) and <see cref="DurableTaskClient"/> is ours; in an Azure Functions app the host runs it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options after host.json is applied.</param>
    /// <returns>A builder to add graphs and settings.</returns>
    public static DurableHumanLoopBuilder AddDurableHumanLoop(this IServiceCollection services, Action<DurableHumanLoopOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DurableHumanLoopOptions>()
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
        services.TryAddSingleton<HubStorage>();
        services.TryAddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<HubStorage>();
            return new HumanTaskQueue(storage.Queues, storage.Names, sp.GetRequiredService<IOptions<DurableHumanLoopOptions>>().Value.PublishHumanTasks);
        });
        services.TryAddSingleton(sp => new HumanTaskStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HumanTaskQueue>(), sp.GetRequiredService<HubStorage>().Names));
        services.TryAddSingleton(sp => new RunEventStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names));
        NotificationServices.Add(services);
        services.TryAddSingleton(sp => new AnswerAuditStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names));
        services.TryAddSingleton(sp => new IdempotencyStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names));
        AddLive(services);
        services.TryAddSingleton<GraphActivities>();
        services.TryAddSingleton<DurableRunClientFactory>();

        // Before the self-hosted engine's service (added later by SelfHosted()), so its tables exist when it starts.
        services.AddHostedService<HumanLoopStoresInitializer>();
        return new DurableHumanLoopBuilder(services);
    }

    /// <summary>Registers the live log, this host's wake-ups, the doorbell between hosts and the feed that tails the log, with their options.</summary>
    private static void AddLive(IServiceCollection services)
    {
        services.AddOptions<LiveOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(LiveOptions.SectionName).Bind(o))
            .ValidateDataAnnotations()
            .Validate(o => o.MinPollInterval <= o.MaxPollInterval, "HumanLoop:Live:MinPollInterval must not exceed HumanLoop:Live:MaxPollInterval.")
            .ValidateOnStart();
        services.TryAddSingleton<LiveSignals>();
        services.TryAddSingleton(sp => new LiveLog(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names, sp.GetRequiredService<LiveSignals>()));
        services.TryAddSingleton<LiveFeed>();
        services.TryAddSingleton(sp => new LiveDoorbell(
            sp.GetRequiredService<HubStorage>().Tables,
            sp.GetRequiredService<HubStorage>().Names,
            sp.GetRequiredService<LiveSignals>(),
            sp.GetRequiredService<IOptions<LiveOptions>>(),

            // Its rows are compared across hosts, so it keeps the wall clock even where a host's clock is replaced (tests).
            TimeProvider.System,
            sp.GetRequiredService<ILogger<LiveDoorbell>>()));
        services.AddHostedService(sp => sp.GetRequiredService<LiveDoorbell>());
    }

    /// <summary>Registers the action links, their stores and the shared Data Protection key ring.</summary>
    internal static void AddActionLinks(IServiceCollection services, Action<ActionLinkOptions>? configure)
    {
        var options = services.AddOptions<ActionLinkOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddDataProtection();
        services.AddOptions<DataProtectionOptions>()
            .Configure<IOptions<ActionLinkOptions>>((dp, links) => dp.ApplicationDiscriminator = links.Value.ApplicationName);
        services.AddOptions<KeyManagementOptions>()
            .Configure<HubStorage>((keys, storage) => keys.XmlRepository = new BlobXmlRepository(storage.Blobs.GetBlobContainerClient(storage.Names.KeysContainer)));
        services.TryAddSingleton(sp => new LinkTokenCodec(sp.GetRequiredService<IDataProtectionProvider>()));
        services.TryAddSingleton(sp => new UsedLinkStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names));
        services.TryAddSingleton<IActionLinks, ActionLinks>();
        services.AddHostedService<ActionLinksInitializer>();
    }

    /// <summary>Registers the self-hosted engine: the Azure Storage backend, our <see cref="DurableTaskClient"/> over it, and the worker.</summary>
    internal static void AddSelfHostedEngine(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new AzureStorageOrchestrationService(EngineSettings.Create(
            sp.GetRequiredService<IOptions<DurableHumanLoopOptions>>().Value,
            sp.GetRequiredService<HubStorage>().Account,
            sp.GetRequiredService<ILoggerFactory>())));
        services.TryAddSingleton<DurableTaskClient>(sp => new EngineDurableTaskClient(
            sp.GetRequiredService<AzureStorageOrchestrationService>(),
            timeProvider: sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IDurableRunClient>(sp => sp.GetRequiredService<DurableRunClientFactory>().Create(sp.GetRequiredService<DurableTaskClient>()));
        services.AddHostedService<SelfHostedEngine>();
    }
}
