using System.Diagnostics;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Storage;
using Xunit.Abstractions;

namespace HumanLoop.Durable.Tests;

/// <summary>
/// One Azurite for the tests of the <see cref="AzuriteCollection"/>: started by <see cref="AzuriteLauncher"/>
/// on free ports with its data in a temporary folder, torn down (and the folder deleted) after them.
/// Tests use unique table, queue and container names, so they need no cleanup between them.
/// </summary>
public sealed class AzuriteFixture(IMessageSink messageSink) : IAsyncLifetime
{
    private TemporaryAzurite? _azurite;

    public AzuriteLauncher Launcher => (_azurite ?? throw new InvalidOperationException("Azurite is not started.")).Launcher;

    public TimeSpan StartupTime { get; private set; }

    public StorageAccountFactory CreateFactory(StorageClientSettings? settings = null) => _azurite!.CreateFactory(settings);

    /// <summary>A fresh name valid for a table, queue or blob container: a letter, then lowercase letters and digits.</summary>
    public static string UniqueName(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..20];

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(300);
        var stopwatch = Stopwatch.StartNew();
        _azurite = await TemporaryAzurite.StartAsync(new MessageSinkLogger(messageSink, nameof(AzuriteFixture)), timeout.Token);
        StartupTime = stopwatch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
