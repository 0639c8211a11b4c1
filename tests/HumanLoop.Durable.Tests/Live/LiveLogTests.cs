using System.Text.Json;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.Storage;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Output;
using HumanLoop.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Durable.Tests.Live;

[Collection(AzuriteCollection.Name)]
public sealed class LiveLogTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AppendAsync_TwoHostsAtOnce_NumberEveryEntryOnceWithoutGapsAndKeepEachHostsOrder()
    {
        using var timeout = TestTimeout.Start(120);
        var (a, runId, names) = await CreateAsync(timeout.Token);
        var b = new LiveLog(azurite.CreateFactory().CreateTableServiceClient(), names, new LiveSignals());

        // Two writers with their own head caches, as two hosts have: each appends 30 batches of 3.
        await Task.WhenAll(WriteAsync(a, "a"), WriteAsync(b, "b"));

        var entries = await a.ReadAsync(runId, 0, 1000, timeout.Token);
        Assert.Equal(Enumerable.Range(1, 180).Select(i => (long)i), entries.Select(e => e.Sequence));
        foreach (var host in new[] { "a", "b" })
        {
            Assert.Equal(Enumerable.Range(0, 90).Select(i => $"{host}{i}"), entries.Where(e => e.MessageId!.StartsWith(host, StringComparison.Ordinal)).Select(e => e.MessageId));
        }

        Assert.Equal(180, await b.GetLastSequenceAsync(runId, timeout.Token));
        Assert.Equal(entries.Skip(100).Select(e => e.Sequence), (await b.ReadAsync(runId, 100, 1000, timeout.Token)).Select(e => e.Sequence));

        async Task WriteAsync(LiveLog log, string host)
        {
            for (var i = 0; i < 30; i++)
            {
                var batch = Enumerable.Range(i * 3, 3).Select(n => new LiveEntry { Type = LiveEntryType.Chunk, At = T0, MessageId = $"{host}{n}", Text = "x" }).ToList();
                await log.AppendAsync(runId, batch, timeout.Token);
            }
        }
    }

    [Fact]
    public async Task AppendAsync_SameRunEventsAgain_AppendsNothing_ChangedContentIsAppendedAsACorrection()
    {
        using var timeout = TestTimeout.Start();
        var (log, runId, names) = await CreateAsync(timeout.Token);
        var prompt = new LiveEntry { Type = LiveEntryType.Prompt, At = T0, RequestId = "r:ask:1", Text = "Which?", EventSequence = 4, EventKind = "HumanInputRequested" };
        var status = new LiveEntry { Type = LiveEntryType.Status, At = T0, Node = "ask", EventSequence = 3, EventKind = "NodeStarted" };

        Assert.Equal(2, await log.AppendAsync(runId, [status, prompt], timeout.Token));
        Assert.Equal(2, await log.AppendAsync(runId, [status, prompt], timeout.Token));
        Assert.Equal(3, await new LiveLog(azurite.CreateFactory().CreateTableServiceClient(), names, new LiveSignals()).AppendAsync(runId, [status, prompt with { Text = "Which one?" }], timeout.Token));

        var entries = await log.ReadAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(["NodeStarted:", "HumanInputRequested:Which?", "HumanInputRequested:Which one?"], entries.Select(e => $"{e.EventKind}:{e.Text}"));
    }

    [Fact]
    public async Task AppendAsync_FirstAppendOfANewRun_IsOneTransaction_AnExistingLogUnknownToThisHostIsNumberedAfterItsHead()
    {
        using var timeout = TestTimeout.Start();
        var (other, runId, names) = await CreateAsync(timeout.Token);
        var counter = new StorageTransactionCounter();
        var here = new LiveLog(azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter }).CreateTableServiceClient(), names, new LiveSignals());
        var status = new LiveEntry { Type = LiveEntryType.Status, At = T0, Node = "draft", EventSequence = 1, EventKind = "NodeStarted" };

        // A new run: no head is read, the head's insert and the entries go in one transaction.
        Assert.Equal(2, await here.AppendAsync(runId, [status, Chunk("a")], timeout.Token));
        Assert.Equal(1, counter.Snapshot().Total);

        // A run another host has appended to: the guessed insert of the head fails, the head is read, then the append
        // is numbered after it; the event is not taken for one stored before.
        counter.Reset();
        var otherRun = runId + "-b";
        Assert.Equal(2, await other.AppendAsync(otherRun, [Chunk("b1"), Chunk("b2")], timeout.Token));
        Assert.Equal(4, await here.AppendAsync(otherRun, [status, Chunk("b3")], timeout.Token));
        Assert.Equal(3, counter.Snapshot().Total);
        Assert.Equal(["b1", "b2", null, "b3"], (await other.ReadAsync(otherRun, cancellationToken: timeout.Token)).Select(e => e.Text));

        // Stored again by a host that does not know the run: nothing is appended twice.
        var third = new LiveLog(azurite.CreateFactory().CreateTableServiceClient(), names, new LiveSignals());
        Assert.Equal(2, await third.AppendAsync(runId, [status], timeout.Token));
        Assert.Equal(2, (await other.ReadAsync(runId, cancellationToken: timeout.Token)).Count);
    }

    [Fact]
    public async Task AppendAsync_WithTheRunsEvents_StoresBothInOneTransaction_EachReadApart_AndStoringAgainUpdatesTheEvents()
    {
        using var timeout = TestTimeout.Start();
        var (other, runId, names) = await CreateAsync(timeout.Token);
        var counter = new StorageTransactionCounter();
        var tables = azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter }).CreateTableServiceClient();
        var log = new LiveLog(tables, names, new LiveSignals());
        var events = new RunEventStore(tables, names);
        var asked = new RunEvent(2, T0, RunEventKind.HumanInputRequested, "review", "r:review:1", null) { Message = "Approve?" };
        var started = new RunEvent(1, T0, RunEventKind.NodeStarted, "draft", null, null);
        var prompt = new LiveEntry { Type = LiveEntryType.Prompt, At = T0, RequestId = "r:review:1", Text = "Approve?", EventSequence = 2, EventKind = "HumanInputRequested" };

        Assert.Equal(1, await log.AppendAsync(runId, [prompt], RunEventStore.Rows(runId, [started, asked]), timeout.Token));
        Assert.Equal(1, counter.Snapshot().Total);

        Assert.Equal([1L, 2L], (await events.ReadAsync(runId, cancellationToken: timeout.Token)).Select(e => e.Sequence));
        Assert.Equal(["Approve?"], (await log.ReadAsync(runId, cancellationToken: timeout.Token)).Select(e => e.Text));

        // Stored again (an activity delivered twice) with the entry already appended: the events are still upserted.
        Assert.Equal(1, await other.AppendAsync(runId, [prompt], RunEventStore.Rows(runId, [started, asked with { Message = "Approve it?" }]), timeout.Token));
        Assert.Equal("Approve it?", (await events.ReadAsync(runId, 1, cancellationToken: timeout.Token)).Single().Message);
        Assert.Single(await log.ReadAsync(runId, cancellationToken: timeout.Token));

        // Deleting the events leaves the live log, and more events than fit beside the entries are stored too.
        await events.DeleteAsync(runId, timeout.Token);
        Assert.Empty(await events.ReadAsync(runId, cancellationToken: timeout.Token));
        Assert.Single(await log.ReadAsync(runId, cancellationToken: timeout.Token));
        var many = Enumerable.Range(3, 120).Select(i => new RunEvent(i, T0, RunEventKind.NodeStarted, "n", null, null)).ToList();
        Assert.Equal(2, await log.AppendAsync(runId, [Chunk("more")], RunEventStore.Rows(runId, many), timeout.Token));
        Assert.Equal(120, (await events.ReadAsync(runId, cancellationToken: timeout.Token)).Count);
    }

    [Fact]
    public async Task AppendAsync_LongTextAndData_ReadBackWhole()
    {
        using var timeout = TestTimeout.Start();
        var (log, runId, _) = await CreateAsync(timeout.Token);
        var text = string.Concat(Enumerable.Range(0, 70_000).Select(i => (char)('a' + (i % 26))));
        var data = JsonDocument.Parse("""{"answer":"ok","emoji":"\ud83d\ude00"}""").RootElement.Clone();

        await log.AppendAsync(runId, [new LiveEntry { Type = LiveEntryType.Message, At = T0, MessageId = "m", Text = text, Data = data }], timeout.Token);

        var read = Assert.Single(await log.ReadAsync(runId, cancellationToken: timeout.Token));
        Assert.Equal(text, read.Text);
        Assert.Equal(data.GetRawText(), read.Data!.Value.GetRawText());
    }

    [Fact]
    public async Task Feed_WakesOnSameHostAppend_AndFindsOtherHostsAppendByPolling_EndingAfterTheEnd()
    {
        using var timeout = TestTimeout.Start(60);
        var (log, runId, names) = await CreateAsync(timeout.Token);
        var signals = new LiveSignals();
        var here = new LiveLog(azurite.CreateFactory().CreateTableServiceClient(), names, signals);
        var feed = new LiveFeed(here, signals, Options.Create(new LiveOptions { MinPollInterval = TimeSpan.FromMilliseconds(20), MaxPollInterval = TimeSpan.FromMilliseconds(200) }), TimeProvider.System, NullLogger<LiveFeed>.Instance);
        await here.AppendAsync(runId, [Chunk("one")], timeout.Token);

        var seen = new List<LiveEntry>();
        var reading = Task.Run(
            async () =>
            {
                await foreach (var entry in feed.FollowAsync(runId, 0, timeout.Token))
                {
                    seen.Add(entry);
                }
            },
            timeout.Token);
        await TestTimeout.UntilAsync(() => seen.Count == 1, timeout.Token);
        await here.AppendAsync(runId, [Chunk("two")], timeout.Token);
        await TestTimeout.UntilAsync(() => seen.Count == 2, timeout.Token);

        // Another host's append: no signal here, found by the next poll.
        await log.AppendAsync(runId, [Chunk("three"), new LiveEntry { Type = LiveEntryType.End, At = T0, EventKind = "Completed" }], timeout.Token);
        await reading;

        Assert.Equal(["one", "two", "three", null], seen.Select(e => e.Text));
        Assert.Equal([1L, 2, 3, 4], seen.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Feed_SameHostAppends_AreHandedOverAsStored_WithoutReadingStorage_AnotherHostsAreRead()
    {
        using var timeout = TestTimeout.Start(60);
        var (other, runId, names) = await CreateAsync(timeout.Token);
        var counter = new StorageTransactionCounter();
        var signals = new LiveSignals();
        var here = new LiveLog(azurite.CreateFactory(new StorageClientSettings { PerCallPolicy = counter }).CreateTableServiceClient(), names, signals);
        var feed = new LiveFeed(here, signals, Options.Create(new LiveOptions { MinPollInterval = TimeSpan.FromMinutes(5), MaxPollInterval = TimeSpan.FromMinutes(5) }), TimeProvider.System, NullLogger<LiveFeed>.Instance);
        await here.AppendAsync(runId, [Chunk("one")], timeout.Token);

        var seen = new List<LiveEntry>();
        var reading = Task.Run(
            async () =>
            {
                await foreach (var entry in feed.FollowAsync(runId, 0, timeout.Token))
                {
                    lock (seen)
                    {
                        seen.Add(entry);
                    }
                }
            },
            timeout.Token);
        await TestTimeout.UntilAsync(() => Count() == 1, timeout.Token);
        var readsBefore = counter.Snapshot().Get(StorageService.Table, "GET");

        // Streamed pieces with sub-millisecond times and data: handed over exactly as a read returns them.
        var at = T0.AddTicks(12_345).ToOffset(TimeSpan.FromHours(2));
        var data = JsonDocument.Parse("""{"step":2}""").RootElement.Clone();
        for (var i = 0; i < 5; i++)
        {
            await here.AppendAsync(runId, [new LiveEntry { Type = LiveEntryType.Chunk, At = at, MessageId = "m", Text = "piece" + i, Data = data }], timeout.Token);
        }

        await TestTimeout.UntilAsync(() => Count() == 6, timeout.Token);
        Assert.Equal(readsBefore, counter.Snapshot().Get(StorageService.Table, "GET"));

        // Another host's append is not handed over: with a 5-minute poll, a wake-up makes the reader read it.
        await other.AppendAsync(runId, [Chunk("remote")], timeout.Token);
        signals.Wake(runId);
        await TestTimeout.UntilAsync(() => Count() == 7, timeout.Token);
        await here.AppendAsync(runId, [new LiveEntry { Type = LiveEntryType.End, At = T0, EventKind = "Completed" }], timeout.Token);
        await reading;

        var stored = await here.ReadAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(stored.Select(Json), seen.Select(Json));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8], seen.Select(e => e.Sequence));

        int Count()
        {
            lock (seen)
            {
                return seen.Count;
            }
        }

        static string Json(LiveEntry e) => JsonSerializer.Serialize(e with { Data = null }) + e.Data?.GetRawText();
    }

    [Fact]
    public async Task OutputSink_StreamedTokens_AreBatchedIntoFewWrites_AfterTheCarriedEntries()
    {
        using var timeout = TestTimeout.Start();
        var (log, runId, _) = await CreateAsync(timeout.Token);
        var carried = new LiveEntry { Type = LiveEntryType.Accepted, At = T0, RequestId = "r:ask:1", EventSequence = 7, EventKind = "InputAccepted" };
        var sink = new LiveOutputSink(log, runId, [carried], TimeProvider.System, TimeSpan.FromMilliseconds(200));
        var output = new AgentOutput(sink, "reply", "n3");

        var message = output.BeginMessage();
        for (var i = 0; i < 50; i++)
        {
            await message.AppendAsync($"w{i} ", timeout.Token);
        }

        var text = await message.CompleteAsync(timeout.Token);
        await sink.CompleteAsync(timeout.Token);

        // The carried entry is stored again by the activity's records: appended once.
        await log.AppendAsync(runId, [carried], timeout.Token);
        var entries = await log.ReadAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(LiveEntryType.Accepted, entries[0].Type);
        Assert.Equal(LiveEntryType.Message, entries[^1].Type);
        Assert.Equal(text, entries[^1].Text);
        Assert.Equal("n3.1", entries[^1].MessageId);
        var chunks = entries.Where(e => e.Type == LiveEntryType.Chunk).ToList();
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text)));
        Assert.InRange(chunks.Count, 1, 5);
        Assert.Single(entries, e => e.Type == LiveEntryType.Accepted);
    }

    [Fact]
    public async Task OutputSink_AWholeMessage_IsWrittenAtOnce_NotAfterTheInterval()
    {
        using var timeout = TestTimeout.Start();
        var (log, runId, _) = await CreateAsync(timeout.Token);
        var time = new FakeTimeProvider(T0);
        var sink = new LiveOutputSink(log, runId, [], time, TimeSpan.FromMinutes(1));
        var output = new AgentOutput(sink, "reply", "n1");

        // The first piece goes at once; the second waits for the interval, which this clock never reaches...
        var message = output.BeginMessage();
        await message.AppendAsync("Hello ", timeout.Token);
        await WaitForAsync(entries => entries.Count == 1);
        await message.AppendAsync("there", timeout.Token);

        // ...until the whole message is said: it and the pending piece are written without the clock moving.
        await message.CompleteAsync(timeout.Token);
        var written = await WaitForAsync(entries => entries.Any(e => e.Type == LiveEntryType.Message));
        Assert.Equal(["Hello ", "there", "Hello there"], written.Select(e => e.Text));
        Assert.Equal(T0, time.GetUtcNow());
        await sink.CompleteAsync(timeout.Token);

        async Task<IReadOnlyList<LiveEntry>> WaitForAsync(Func<IReadOnlyList<LiveEntry>, bool> done)
        {
            while (true)
            {
                var entries = await log.ReadAsync(runId, cancellationToken: timeout.Token);
                if (done(entries))
                {
                    return entries;
                }

                await Task.Delay(10, timeout.Token);
            }
        }
    }

    private static LiveEntry Chunk(string text) => new() { Type = LiveEntryType.Chunk, At = T0, MessageId = "m", Text = text };

    private async Task<(LiveLog Log, string RunId, TaskHubNames Names)> CreateAsync(CancellationToken cancellationToken)
    {
        var hub = AzuriteFixture.UniqueName("Live");
        var names = new TaskHubNames(hub);
        var log = new LiveLog(azurite.CreateFactory().CreateTableServiceClient(), names, new LiveSignals());
        await log.CreateIfNotExistsAsync(cancellationToken);
        return (log, "run-" + Guid.NewGuid().ToString("N")[..8], names);
    }
}
