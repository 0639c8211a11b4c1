using System.Text;
using HumanLoop.Durable.Storage;

namespace HumanLoop.Durable.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class LargePayloadStoreTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OffloadIfLargeAsync_TwoMegabytePayload_RoundTripsThroughACompressedBlob()
    {
        using var timeout = TestTimeout.Start();
        var ct = timeout.Token;
        var store = CreateStore();
        var payload = BuildJson(2 * 1024 * 1024);

        var reference = await store.OffloadIfLargeAsync(payload, "run-1/state-3", StorageLimits.MaxTablePropertyBytes, ct);
        var resolved = await store.ResolveAsync(reference, ct);

        Assert.Equal("blob:run-1/state-3", reference);
        Assert.True(LargePayloadStore.IsReference(reference));
        Assert.Equal(payload, resolved);
        var properties = await store.Container.GetBlobClient("run-1/state-3").GetPropertiesAsync(cancellationToken: ct);
        Assert.Equal("gzip", properties.Value.ContentEncoding);
        Assert.True(properties.Value.ContentLength < payload.Length, "The blob should be compressed.");
    }

    [Fact]
    public async Task OffloadIfLargeAsync_SmallPayload_ReturnsItUnchangedWithoutStorageCalls()
    {
        using var timeout = TestTimeout.Start();
        var counter = new StorageTransactionCounter();
        var store = CreateStore(counter);

        var result = await store.OffloadIfLargeAsync("""{"ok":true}""", "small", StorageLimits.MaxQueueMessageBytes, timeout.Token);

        Assert.Equal("""{"ok":true}""", result);
        Assert.Equal("""{"ok":true}""", await store.ResolveAsync(result, timeout.Token));
        Assert.Equal(0, counter.Total);
    }

    [Fact]
    public async Task OffloadIfLargeAsync_AtThreshold_StaysInlineAndOneCharMoreIsOffloaded()
    {
        using var timeout = TestTimeout.Start();
        var store = CreateStore();

        // ASCII measures 2 bytes per character (its UTF-16 size), so 50 characters fill 100 bytes.
        var atThreshold = await store.OffloadIfLargeAsync(new string('a', 50), "edge-a", 100, timeout.Token);
        var overThreshold = await store.OffloadIfLargeAsync(new string('a', 51), "edge-b", 100, timeout.Token);

        Assert.Equal(new string('a', 50), atThreshold);
        Assert.Equal("blob:edge-b", overThreshold);
        Assert.Equal(new string('a', 51), await store.ResolveAsync(overThreshold, timeout.Token));
    }

    [Fact]
    public async Task OffloadIfLargeAsync_ThreeByteUtf8Characters_MeasuredByTheirUtf8Size()
    {
        using var timeout = TestTimeout.Start();
        var store = CreateStore();
        var euros = new string('€', 40); // 80 bytes in UTF-16, 120 in UTF-8

        var result = await store.OffloadIfLargeAsync(euros, "euros", 100, timeout.Token);

        Assert.Equal(120, StorageLimits.MeasureBytes(euros));
        Assert.Equal("blob:euros", result);
        Assert.Equal(euros, await store.ResolveAsync(result, timeout.Token));
    }

    [Fact]
    public async Task OffloadIfLargeAsync_SmallPayloadThatLooksLikeAReference_IsOffloadedSoItResolvesToItself()
    {
        using var timeout = TestTimeout.Start();
        var store = CreateStore();

        var result = await store.OffloadIfLargeAsync("blob:not-a-reference", "lookalike", 1024, timeout.Token);

        Assert.Equal("blob:lookalike", result);
        Assert.Equal("blob:not-a-reference", await store.ResolveAsync(result, timeout.Token));
    }

    [Fact]
    public async Task ResolveAsync_MissingBlob_ThrowsNamingTheBlob()
    {
        using var timeout = TestTimeout.Start();
        var store = CreateStore();
        await store.Container.CreateAsync(cancellationToken: timeout.Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.ResolveAsync("blob:gone/42", timeout.Token));

        Assert.Contains("'gone/42'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAsync_OffloadedPayload_RemovesTheBlob()
    {
        using var timeout = TestTimeout.Start();
        var store = CreateStore();
        var reference = await store.OffloadIfLargeAsync(new string('x', 100), "to-delete", 10, timeout.Token);

        Assert.True(await store.DeleteAsync(reference, timeout.Token));
        Assert.False(await store.DeleteAsync(reference, timeout.Token));
        Assert.False(await store.DeleteAsync("inline text", timeout.Token));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ResolveAsync(reference, timeout.Token));
    }

    [Fact]
    public async Task OffloadIfLargeAsync_InvalidArguments_Throw()
    {
        var store = CreateStore();

        await Assert.ThrowsAsync<ArgumentException>(() => store.OffloadIfLargeAsync("x", " ", 10));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OffloadIfLargeAsync("x", new string('n', 1025), 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.OffloadIfLargeAsync("x", "n", -1));
    }

    private LargePayloadStore CreateStore(StorageTransactionCounter? counter = null)
    {
        var blobs = azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter }).CreateBlobServiceClient();
        return new LargePayloadStore(blobs.GetBlobContainerClient(AzuriteFixture.UniqueName("c") + "-largemessages"));
    }

    private static string BuildJson(int minimumLength)
    {
        var text = new StringBuilder("{\"items\":[");
        var random = new Random(42);
        for (var i = 0; text.Length < minimumLength; i++)
        {
            text.Append(i == 0 ? "" : ",")
                .Append("{\"id\":").Append(i)
                .Append(",\"note\":\"caf\u00e9 \u2014 ").Append(random.Next()).Append("\"}");
        }

        return text.Append("]}").ToString();
    }
}
