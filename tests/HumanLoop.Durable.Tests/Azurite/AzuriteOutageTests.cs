using System.Diagnostics;
using System.Net.Sockets;
using Azure;
using Azure.Data.Tables;
using HumanLoop.Durable.Azurite;

namespace HumanLoop.Durable.Tests.Azurite;

/// <summary>Each test runs its own Azurite, because they take it down.</summary>
public sealed class AzuriteOutageTests
{
    [Fact]
    public async Task StopAsync_ThenClientCall_FailsFast()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: ct);
        var table = azurite.CreateFactory().CreateTableServiceClient().GetTableClient(AzuriteFixture.UniqueName());
        await table.CreateAsync(ct);

        await azurite.Launcher.StopAsync(ct);
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r", cancellationToken: ct));
        stopwatch.Stop();

        Assert.False(azurite.Launcher.IsRunning);
        Assert.Null(azurite.Launcher.ProcessId);
        Assert.True(IsStorageUnavailable(error), $"Unexpected exception: {error}");

        // Default settings: 3 retries from 200 ms, exponential with jitter; about 1.5 s, never minutes.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"The call took {stopwatch.Elapsed} to fail.");
    }

    [Fact]
    public async Task StartAgainAsync_AfterStop_RestoresServiceOnSamePortsWithDataKept()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: ct);
        var launcher = azurite.Launcher;
        var factory = azurite.CreateFactory();
        var table = factory.CreateTableServiceClient().GetTableClient(AzuriteFixture.UniqueName());
        var queue = factory.CreateQueueServiceClient().GetQueueClient(AzuriteFixture.UniqueName("q"));
        var container = factory.CreateBlobServiceClient().GetBlobContainerClient(AzuriteFixture.UniqueName("c"));
        await table.CreateAsync(ct);
        await table.AddEntityAsync(new TableEntity("run-1", "state") { ["Version"] = 7 }, ct);
        await queue.CreateAsync(cancellationToken: ct);
        await queue.SendMessageAsync("doorbell:run-1", ct);
        await container.CreateAsync(cancellationToken: ct);
        await container.GetBlobClient("payload").UploadAsync(BinaryData.FromString("kept"), ct);
        (int, int, int) portsBefore = (launcher.BlobPort, launcher.QueuePort, launcher.TablePort);
        var pidBefore = launcher.ProcessId;

        await launcher.StopAsync(ct);
        await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityAsync<TableEntity>("run-1", "state", cancellationToken: ct));
        await launcher.StartAgainAsync(ct);

        Assert.True(launcher.IsRunning);
        Assert.NotEqual(pidBefore, launcher.ProcessId);
        Assert.Equal(portsBefore, (launcher.BlobPort, launcher.QueuePort, launcher.TablePort));
        var entity = await table.GetEntityAsync<TableEntity>("run-1", "state", cancellationToken: ct);
        Assert.Equal(7, entity.Value.GetInt32("Version"));
        var message = await queue.ReceiveMessageAsync(cancellationToken: ct);
        Assert.Equal("doorbell:run-1", message.Value?.MessageText);
        var blob = await container.GetBlobClient("payload").DownloadContentAsync(ct);
        Assert.Equal("kept", blob.Value.Content.ToString());
    }

    [Fact]
    public async Task StartAgainAsync_WhileRunning_RestartsOnSamePorts()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: ct);
        var pidBefore = azurite.Launcher.ProcessId;
        var blobPort = azurite.Launcher.BlobPort;

        await azurite.Launcher.StartAgainAsync(ct);

        Assert.True(azurite.Launcher.IsRunning);
        Assert.NotEqual(pidBefore, azurite.Launcher.ProcessId);
        Assert.Equal(blobPort, azurite.Launcher.BlobPort);
        var properties = await azurite.CreateFactory().CreateQueueServiceClient().GetPropertiesAsync(ct);
        Assert.NotNull(properties.Value);
    }

    [Fact]
    public async Task StartAsync_BlobPortTaken_ThrowsWithAzuriteErrorOutput()
    {
        using var timeout = TestTimeout.Start();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-durable-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var takenPort = ((IPEndPoint)listener.LocalEndpoint).Port;

            var error = await Assert.ThrowsAsync<AzuriteStartException>(() => AzuriteLauncher.StartAsync(
                new AzuriteOptions { BlobPort = takenPort, DataFolder = dataFolder },
                logger: null,
                timeout.Token));

            Assert.True(error.IsPortInUse);
            Assert.Equal(takenPort, error.ConflictingPort);
            Assert.NotNull(error.ExitCode);
            Assert.Contains("EADDRINUSE", error.Message, StringComparison.Ordinal);
            Assert.Contains(takenPort.ToString(System.Globalization.CultureInfo.InvariantCulture), error.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
            Directory.Delete(dataFolder, recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsArgumentExceptionNamingTheOption()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            AzuriteLauncher.StartAsync(new AzuriteOptions { TablePort = 70000, StartupTimeout = TimeSpan.Zero }));

        Assert.Contains("tablePort", error.Message, StringComparison.Ordinal);
        Assert.Contains("startupTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_RepositoryRootWithoutAzurite_ThrowsClearException()
    {
        var empty = Directory.CreateTempSubdirectory("humanloop-durable-tests-");
        try
        {
            var error = await Assert.ThrowsAsync<AzuriteStartException>(() =>
                AzuriteLauncher.StartAsync(new AzuriteOptions { RepositoryRoot = empty.FullName }));

            Assert.Contains("package.json", error.Message, StringComparison.Ordinal);
            Assert.Contains(empty.FullName, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    private static bool IsStorageUnavailable(Exception error) => error switch
    {
        RequestFailedException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(e => e is RequestFailedException),
        _ => false,
    };
}
