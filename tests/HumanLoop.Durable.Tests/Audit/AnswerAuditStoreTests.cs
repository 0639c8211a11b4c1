using HumanLoop.Durable.Audit;
using HumanLoop.Durable.TaskHub;

namespace HumanLoop.Durable.Tests.Audit;

[Collection(AzuriteCollection.Name)]
public sealed class AnswerAuditStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AppendThenRead_SameTick_BothKeptInTimeOrderWithEveryField_AndFilteredByRequest()
    {
        using var timeout = TestTimeout.Start();
        var store = new AnswerAuditStore(azurite.CreateFactory().CreateTableServiceClient(), new TaskHubNames("Au" + Guid.NewGuid().ToString("N")[..12]));
        await store.CreateIfNotExistsAsync(timeout.Token);
        var runId = "run-" + Guid.NewGuid().ToString("N")[..8];
        var later = Entry(runId, "r:a:1", "user:bob", T0.AddSeconds(1), "AlreadyAnswered");
        var first = Entry(runId, "r:a:1", "user:ann", T0, "Forbidden");
        var sameTick = Entry(runId, "r:b:1", "user:cy", T0, "Expired");

        await store.AppendAsync(later, timeout.Token);
        await store.AppendAsync(first, timeout.Token);
        await store.AppendAsync(sameTick, timeout.Token);

        var all = await store.ReadAsync(runId, cancellationToken: timeout.Token);
        Assert.Equal(3, all.Count);
        Assert.Equal([T0, T0, T0.AddSeconds(1)], all.Select(e => e.At));
        Assert.Equal(first, Assert.Single(all, e => e.Respondent == "user:ann"));
        Assert.Equal([first, later], await store.ReadAsync(runId, "R:A:1", timeout.Token));

        await store.DeleteAsync(runId, timeout.Token);
        Assert.Empty(await store.ReadAsync(runId, cancellationToken: timeout.Token));
    }

    private static AnswerAuditEntry Entry(string runId, string requestId, string respondent, DateTimeOffset at, string outcome) => new()
    {
        RunId = runId,
        RequestId = requestId,
        MessageId = "m-" + respondent,
        Respondent = respondent,
        Channel = "callback",
        At = at,
        Outcome = outcome,
        Reason = "because " + outcome,
        Source = AnswerAuditEntry.ApiSource,
    };
}
