using HumanLoop.Durable.Configuration;
using HumanLoop.Durable.Graphs;
using HumanLoop.Graphs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.DependencyInjection;

/// <summary>Configures the durable runtime registered by <see cref="DurableHumanLoopServiceCollectionExtensions.AddDurableHumanLoop"/>.</summary>
public sealed class DurableHumanLoopBuilder
{
    internal DurableHumanLoopBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>Gets the service collection the runtime is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Makes a graph startable by name on this hub. Every host of a hub must register the graphs its runs use.</summary>
    /// <param name="graph">The compiled graph. Registering a name again replaces the earlier graph.</param>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder AddGraph(CompiledGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Services.AddSingleton(new GraphRegistration(graph));
        return this;
    }

    /// <summary>Applies the <c>extensions.durableTask</c> section of a loaded host.json (hub name, partition count, polling, dequeue limits).</summary>
    /// <param name="settings">The settings, for example from <see cref="HostJsonSettings.Load"/>.</param>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder UseHostJson(HostJsonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Services.Configure<DurableHumanLoopOptions>(o => o.ApplyHostJson(settings));
        return this;
    }

    /// <summary>
    /// Reads the storage connection from configuration: the value named <see cref="DurableHumanLoopOptions.ConnectionName"/>
    /// (<c>AzureWebJobsStorage</c>) as a connection string, or <c>{name}__accountName</c> / <c>{name}__blobServiceUri</c>,
    /// <c>__queueServiceUri</c>, <c>__tableServiceUri</c> for an account reached with DefaultAzureCredential.
    /// Without this call the configuration registered in DI is read the same way.
    /// </summary>
    /// <param name="configuration">The configuration to read.</param>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder UseConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Services.AddSingleton(new StorageConfigurationSource(configuration));
        return this;
    }

    /// <summary>
    /// Runs the Durable Task engine in this process (DurableTask.Core's worker on the Azure Storage backend) and
    /// registers <see cref="Microsoft.DurableTask.Client.DurableTaskClient"/> and <see cref="Client.IDurableRunClient"/>
    /// over it. An Azure Functions app does not call this: the Functions host runs the engine.
    /// </summary>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder SelfHosted()
    {
        DurableHumanLoopServiceCollectionExtensions.AddSelfHostedEngine(Services);
        return this;
    }

    /// <summary>
    /// Registers <see cref="Links.IActionLinks"/> (the signed, expiring, single-use links a notice carries), the
    /// <see cref="Links.LinkTokenCodec"/> and <see cref="Links.UsedLinkStore"/> the pages check them with, and ASP.NET Core
    /// Data Protection with its key ring in the hub's <c>{hub}-keys</c> container, so every host of the hub reads every
    /// host's links (and antiforgery tokens).
    /// </summary>
    /// <param name="configure">Sets the base URL and the longest lifetime.</param>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder AddActionLinks(Action<Links.ActionLinkOptions>? configure = null)
    {
        DurableHumanLoopServiceCollectionExtensions.AddActionLinks(Services, configure);
        return this;
    }

    /// <summary>
    /// Encrypts the link key ring at rest with <paramref name="certificate"/> (Data Protection's certificate XML
    /// encryptor): keys made from now on are stored in <c>{hub}-keys</c> encrypted to it, and keys encrypted to it or to
    /// one of <paramref name="previous"/> are read. Every host of the hub needs the certificates with their private keys.
    /// Keys stored before encryption was turned on stay readable, unencrypted, until they expire (90 days).
    /// </summary>
    /// <param name="certificate">The certificate, with its private key.</param>
    /// <param name="previous">Certificates older keys were encrypted with, kept for reading them after a replacement.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">A certificate has no private key.</exception>
    public DurableHumanLoopBuilder ProtectLinkKeysWithCertificate(X509Certificate2 certificate, params X509Certificate2[] previous)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(previous);
        foreach (var each in previous.Prepend(certificate))
        {
            if (!each.HasPrivateKey)
            {
                throw new ArgumentException($"The key ring's certificate {each.Thumbprint} has no private key, so the keys encrypted to it could not be read.", nameof(certificate));
            }
        }

        Services.AddDataProtection().ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate([certificate, .. previous]);
        return this;
    }

    /// <summary>Keeps the engine's worker off in this process: it only starts and answers runs through the client.</summary>
    /// <returns>This builder.</returns>
    public DurableHumanLoopBuilder WithoutWorker()
    {
        Services.Configure<DurableHumanLoopOptions>(o => o.RunWorker = false);
        return this;
    }
}

/// <summary>Configuration to read the storage connection from.</summary>
/// <param name="Configuration">The configuration.</param>
internal sealed record StorageConfigurationSource(IConfiguration Configuration);
