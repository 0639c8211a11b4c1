using System.Diagnostics;
using HumanLoop.Functions.Hosting;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// The real app (<see cref="HumanLoopWebApplication.Create"/>) on Kestrel at 127.0.0.1 on a free port, on its own task
/// hub in a real Azurite that this fixture starts on free ports. Tests share it and keep apart by unique run ids.
/// </summary>
public sealed class HumanLoopAppFixture(IMessageSink messageSink) : IAsyncLifetime
{
    private AppOnAzurite? _app;

    /// <summary>A client for the app, with its base address set.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The app's base address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress => _app!.BaseAddress;

    /// <summary>The task hub of this fixture.</summary>
    public string HubName { get; } = "FnTests" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The storage connection string of the fixture's Azurite.</summary>
    public string ConnectionString => _app!.ConnectionString;

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        var stopwatch = Stopwatch.StartNew();
        _app = await AppOnAzurite.StartAsync(HubName, messageSink, cancellationToken: timeout.Token);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        messageSink.OnMessage(new DiagnosticMessage($"Azurite and the app started in {stopwatch.ElapsedMilliseconds} ms"));
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Builds (does not start) the real app with test settings layered over its own configuration.</summary>
    internal static WebApplication StartApp(
        string[] args,
        string connectionString,
        string hubName,
        IMessageSink sink,
        IDictionary<string, string?>? extra = null,
        Action<WebApplicationBuilder>? configure = null) =>
        HumanLoopWebApplication.Create(args, builder =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = connectionString,
                ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = hubName,

                // The suite runs many tests at once against one app on two cores: an answer may take longer than the
                // default 5 s to be applied, and a test must see its verdict rather than the 202 for "not yet".
                ["AzureFunctionsJobHost:extensions:humanLoop:responseTimeout"] = "00:00:30",
                ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.2",
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                settings[key] = value;
            }

            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new MessageSinkLoggerProvider(sink));
            configure?.Invoke(builder);
        });
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<HumanLoopAppFixture>
{
    public const string Name = "App";
}
