using Azure.Data.Tables;
using HumanLoop.Durable.Storage;

namespace HumanLoop.Durable.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageTransactionCounterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Counter_SharedByAllClients_CountsEachRequestByServiceAndMethod()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        var counter = new StorageTransactionCounter();
        var factory = azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter });

        var table = factory.CreateTableServiceClient().GetTableClient(AzuriteFixture.UniqueName());
        await table.CreateAsync(ct);                                              // POST
        await table.AddEntityAsync(new TableEntity("p", "r"), ct);                // POST
        await table.GetEntityAsync<TableEntity>("p", "r", cancellationToken: ct); // GET
        var queue = factory.CreateQueueServiceClient().GetQueueClient(AzuriteFixture.UniqueName("q"));
        await queue.CreateAsync(cancellationToken: ct);                           // PUT
        await queue.SendMessageAsync("m", ct);                                    // POST
        var container = factory.CreateBlobServiceClient().GetBlobContainerClient(AzuriteFixture.UniqueName("c"));
        await container.CreateAsync(cancellationToken: ct);                       // PUT
        await container.GetBlobClient("b").UploadAsync(BinaryData.FromString("x"), ct); // PUT

        var snapshot = counter.Snapshot();

        Assert.Equal(7, snapshot.Total);
        Assert.Equal(7, counter.Total);
        Assert.Equal(3, snapshot.ByService[StorageService.Table]);
        Assert.Equal(2, snapshot.ByService[StorageService.Queue]);
        Assert.Equal(2, snapshot.ByService[StorageService.Blob]);
        Assert.Equal(0, snapshot.ByService[StorageService.Unknown]);
        Assert.Equal(2, snapshot.Get(StorageService.Table, "POST"));
        Assert.Equal(1, snapshot.Get(StorageService.Table, "get"));
        Assert.Equal(3, snapshot.ByMethod["PUT"]);
        Assert.Equal(3, snapshot.ByMethod["POST"]);
        Assert.Equal(1, snapshot.ByMethod["GET"]);
        Assert.StartsWith("7 (", snapshot.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_AfterRequests_ReturnsCountsAndStartsFromZero()
    {
        using var timeout = TestTimeout.Start();
        var counter = new StorageTransactionCounter();
        var tables = azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter }).CreateTableServiceClient();
        var table = tables.GetTableClient(AzuriteFixture.UniqueName());
        await table.CreateAsync(timeout.Token);
        var before = counter.Snapshot();
        await table.AddEntityAsync(new TableEntity("p", "r"), timeout.Token);

        var replaced = counter.Reset();

        Assert.Equal(2, replaced.Total);
        Assert.Equal(1, replaced.Since(before).Total);
        Assert.Equal(0, counter.Total);
        Assert.Equal(0, counter.Snapshot().Total);
    }

    [Fact]
    public async Task Counter_ConcurrentRequests_LosesNoCount()
    {
        using var timeout = TestTimeout.Start();
        var counter = new StorageTransactionCounter();
        var queue = azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter })
            .CreateQueueServiceClient().GetQueueClient(AzuriteFixture.UniqueName("q"));
        await queue.CreateAsync(cancellationToken: timeout.Token);

        await Parallel.ForEachAsync(
            Enumerable.Range(0, 200),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token },
            async (i, ct) => await queue.SendMessageAsync($"m{i}", ct));

        Assert.Equal(201, counter.Total);
        Assert.Equal(200, counter.Snapshot().Get(StorageService.Queue, "POST"));
    }
}
