using Azure.Data.Tables;
using HumanLoop.Durable.Azurite;

namespace HumanLoop.Durable.Tests.Azurite;

[Collection(AzuriteCollection.Name)]
public sealed class AzuriteLauncherTests(AzuriteFixture azurite)
{
    [Fact]
    public void StartAsync_FreePorts_ExposesDistinctPortsAndMatchingConnectionString()
    {
        var launcher = azurite.Launcher;

        Assert.True(launcher.IsRunning);
        Assert.NotNull(launcher.ProcessId);
        int[] ports = [launcher.BlobPort, launcher.QueuePort, launcher.TablePort];
        Assert.All(ports, p => Assert.InRange(p, 1, 65535));
        Assert.Equal(3, ports.Distinct().Count());
        Assert.Contains($"BlobEndpoint=http://127.0.0.1:{launcher.BlobPort}/devstoreaccount1;", launcher.ConnectionString, StringComparison.Ordinal);
        Assert.Contains($"QueueEndpoint=http://127.0.0.1:{launcher.QueuePort}/devstoreaccount1;", launcher.ConnectionString, StringComparison.Ordinal);
        Assert.Contains($"TableEndpoint=http://127.0.0.1:{launcher.TablePort}/devstoreaccount1;", launcher.ConnectionString, StringComparison.Ordinal);
        Assert.True(Directory.Exists(launcher.DataFolder));
    }

    [Fact]
    public async Task StartAsync_FreePorts_TableQueueAndBlobRoundTrip()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        var factory = azurite.CreateFactory();

        var table = factory.CreateTableServiceClient().GetTableClient(AzuriteFixture.UniqueName());
        await table.CreateAsync(ct);
        await table.AddEntityAsync(new TableEntity("run-1", "row-1") { ["Status"] = "Running" }, ct);
        var entity = await table.GetEntityAsync<TableEntity>("run-1", "row-1", cancellationToken: ct);
        Assert.Equal("Running", entity.Value.GetString("Status"));

        var queue = factory.CreateQueueServiceClient().GetQueueClient(AzuriteFixture.UniqueName("q"));
        await queue.CreateAsync(cancellationToken: ct);
        await queue.SendMessageAsync("""{"runId":"run-1"}""", ct);
        var received = await queue.ReceiveMessageAsync(cancellationToken: ct);
        Assert.NotNull(received.Value);
        Assert.Equal("""{"runId":"run-1"}""", received.Value.MessageText);
        await queue.DeleteMessageAsync(received.Value.MessageId, received.Value.PopReceipt, ct);

        var container = factory.CreateBlobServiceClient().GetBlobContainerClient(AzuriteFixture.UniqueName("c"));
        await container.CreateAsync(cancellationToken: ct);
        await container.GetBlobClient("a/b.txt").UploadAsync(BinaryData.FromString("hello"), ct);
        var download = await container.GetBlobClient("a/b.txt").DownloadContentAsync(ct);
        Assert.Equal("hello", download.Value.Content.ToString());
    }

    [Fact]
    public async Task Clients_FromLauncherConnectionString_UseLaunchedPorts()
    {
        var factory = azurite.CreateFactory();

        Assert.True(factory.IsDevelopmentStorage);
        Assert.Equal(azurite.Launcher.BlobPort, factory.CreateBlobServiceClient().Uri.Port);
        Assert.Equal(azurite.Launcher.QueuePort, factory.CreateQueueServiceClient().Uri.Port);
        Assert.Equal(azurite.Launcher.TablePort, factory.CreateTableServiceClient().Uri.Port);
        using var timeout = TestTimeout.Start();
        var properties = await factory.CreateBlobServiceClient().GetPropertiesAsync(timeout.Token);
        Assert.NotNull(properties.Value);
    }

    [Fact]
    public async Task IsRunningOnDefaultPortsAsync_AgreesWithAProbeOfPort10000()
    {
        using var timeout = TestTimeout.Start();

        var running = await AzuriteLauncher.IsRunningOnDefaultPortsAsync(timeout.Token);

        // Nothing is asserted about this machine; only that the answer is consistent with a plain probe.
        if (running)
        {
            Assert.True(await AzuritePortProbe.IsAnsweringAsync(10000, timeout.Token));
        }
        else
        {
            Assert.False(await AzuritePortProbe.AreAnsweringAsync([10000, 10001, 10002], timeout.Token));
        }
    }
}
