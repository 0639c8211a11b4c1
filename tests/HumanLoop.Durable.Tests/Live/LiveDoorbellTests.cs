using Azure.Data.Tables;
using HumanLoop.Durable.Live;
using HumanLoop.Durable.TaskHub;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanLoop.Durable.Tests.Live;

/// <summary>The doorbell between hosts, on Azurite: two hosts of one hub, each with its own signals, log and doorbell.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LiveDoorbellTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    // Readers never poll within a test: only a wake-up brings them another host's entries.
    private static readonly LiveOptions Options = new()
    {
        MinPollInterval = TimeSpan.FromMinutes(5),
        MaxPollInterval = TimeSpan.FromMinutes(5),
        CoveredPollInterval = TimeSpan.FromMinutes(5),
        WakePollInterval = TimeSpan.FromMilliseconds(20),
        ListenerRefreshInterval = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task AnotherHostsAppends_WakeTheReaderHere_WhichIsCoveredOnceTheOtherHostHasSeenItListen()
    {
        using var timeout = TestTimeout.Start(60);
        var names = new TaskHubNames(AzuriteFixture.UniqueName("Bell"));
        await using var a = await Host.StartAsync(azurite, names, timeout.Token);
        await using var b = await Host.StartAsync(azurite, names, timeout.Token);
        var runId = "run-" + Guid.NewGuid().ToString("N")[..8];
        await a.Log.AppendAsync(runId, [Chunk("one")], timeout.Token);

        var seen = new List<string?>();
        var reading = Task.Run(
            async () =>
            {
                await foreach (var entry in a.Feed.FollowAsync(runId, 0, timeout.Token))
                {
                    lock (seen)
                    {
                        seen.Add(entry.Text);
                    }
                }
            },
            timeout.Token);
        await TestTimeout.UntilAsync(() => Count(seen) == 1, timeout.Token);

        // Host A now listens; once B has read that (its next refresh), B's appends ring, and A's reader wakes.
        await TestTimeout.UntilAsync(() => b.Signals.RingOthers, timeout.Token);
        Assert.False(a.Signals.RingOthers);
        await b.Log.AppendAsync(runId, [Chunk("two")], timeout.Token);
        await TestTimeout.UntilAsync(() => Count(seen) == 2, timeout.Token);

        // Covered after two refresh intervals of listening: an idle reader here may rely on the rings.
        await TestTimeout.UntilAsync(() => a.Signals.IsCovered, timeout.Token);
        Assert.False(b.Signals.IsCovered);
        await b.Log.AppendAsync(runId, [Chunk("three"), new LiveEntry { Type = LiveEntryType.End, At = T0, EventKind = "Completed" }], timeout.Token);
        await reading;

        Assert.Equal(["one", "two", "three", null], seen);
        Assert.Equal(0, a.Signals.Followers);
    }

    [Fact]
    public async Task WithoutReadersOnAnotherHost_AppendsRingNobody()
    {
        using var timeout = TestTimeout.Start(60);
        var names = new TaskHubNames(AzuriteFixture.UniqueName("Bell"));
        await using var b = await Host.StartAsync(azurite, names, timeout.Token);
        Assert.False(b.Signals.RingOthers);
        var runId = "run-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 5; i++)
        {
            await b.Log.AppendAsync(runId, [Chunk(i.ToString(System.Globalization.CultureInfo.InvariantCulture))], timeout.Token);
        }

        var table = azurite.CreateFactory().CreateTableServiceClient().GetTableClient(names.LiveWakeTable);
        var rows = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: timeout.Token))
        {
            rows.Add(row.PartitionKey);
        }

        Assert.Empty(rows);
    }

    [Fact]
    public async Task AHostWithoutReaders_SleepsUntilOneComes_ThenPublishesItsListenerRowAtOnce()
    {
        using var timeout = TestTimeout.Start(60);
        var names = new TaskHubNames(AzuriteFixture.UniqueName("Bell"));

        // Refreshes a minute apart: only the first reader's arrival can publish the row within this test.
        await using var a = await Host.StartAsync(azurite, names, timeout.Token, new LiveOptions
        {
            MinPollInterval = Options.MinPollInterval,
            MaxPollInterval = Options.MaxPollInterval,
            CoveredPollInterval = Options.CoveredPollInterval,
            WakePollInterval = Options.WakePollInterval,
            ListenerRefreshInterval = TimeSpan.FromMinutes(1),
        });
        var table = azurite.CreateFactory().CreateTableServiceClient().GetTableClient(names.LiveWakeTable);
        await Task.Delay(300, timeout.Token);
        Assert.Empty(await ListenersAsync(table, timeout.Token));

        using (a.Signals.Follow("run-1"))
        {
            while (!(await ListenersAsync(table, timeout.Token)).Contains(a.Doorbell.HostId))
            {
                await Task.Delay(50, timeout.Token);
            }
        }
    }

    [Fact]
    public async Task WaitForFollower_ReturnsWhenAReaderComes_OrFalseWhenItsTimeIsUp()
    {
        var signals = new LiveSignals();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        var idle = signals.WaitForFollowerAsync(TimeSpan.FromSeconds(10), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(idle.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await idle);

        var waiting = signals.WaitForFollowerAsync(TimeSpan.FromSeconds(10), clock, CancellationToken.None);
        using var reader = signals.Follow("run-1");
        Assert.True(await waiting);
        Assert.True(await signals.WaitForFollowerAsync(TimeSpan.FromSeconds(10), clock, CancellationToken.None));
    }

    private static async Task<List<string>> ListenersAsync(TableClient table, CancellationToken cancellationToken)
    {
        var hosts = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"listeners"}"), cancellationToken: cancellationToken))
        {
            hosts.Add(row.RowKey);
        }

        return hosts;
    }

    private static int Count(List<string?> seen)
    {
        lock (seen)
        {
            return seen.Count;
        }
    }

    private static LiveEntry Chunk(string text) => new() { Type = LiveEntryType.Chunk, At = T0, MessageId = "m", Text = text };

    private sealed class Host : IAsyncDisposable
    {
        private Host(LiveSignals signals, LiveLog log, LiveFeed feed, LiveDoorbell doorbell)
        {
            Signals = signals;
            Log = log;
            Feed = feed;
            Doorbell = doorbell;
        }

        public LiveSignals Signals { get; }

        public LiveLog Log { get; }

        public LiveFeed Feed { get; }

        public LiveDoorbell Doorbell { get; }

        public static async Task<Host> StartAsync(AzuriteFixture azurite, TaskHubNames names, CancellationToken cancellationToken, LiveOptions? liveOptions = null)
        {
            var tables = azurite.CreateFactory().CreateTableServiceClient();
            var signals = new LiveSignals();
            var log = new LiveLog(tables, names, signals);
            await log.CreateIfNotExistsAsync(cancellationToken);
            var options = Microsoft.Extensions.Options.Options.Create(liveOptions ?? Options);
            var doorbell = new LiveDoorbell(tables, names, signals, options, TimeProvider.System, NullLogger<LiveDoorbell>.Instance);
            await doorbell.StartAsync(cancellationToken);
            return new Host(signals, log, new LiveFeed(log, signals, options, TimeProvider.System, NullLogger<LiveFeed>.Instance), doorbell);
        }

        public async ValueTask DisposeAsync()
        {
            await Doorbell.StopAsync(CancellationToken.None);
            Doorbell.Dispose();
        }
    }
}
