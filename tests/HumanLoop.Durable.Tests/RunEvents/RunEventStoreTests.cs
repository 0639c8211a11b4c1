using Azure.Data.Tables;
using HumanLoop.Durable.RunEvents;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.RunEvents;

[Collection(AzuriteCollection.Name)]
public sealed class RunEventStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AppendThenRead_AnswerEvent_KeepsRespondentChannelOutcomeAndMessageIdInTheirOwnColumns()
    {
        using var timeout = TestTimeout.Start();
        var (store, table, runId) = await CreateAsync(timeout.Token);
        var accepted = new RunEvent(1, T0, RunEventKind.InputAccepted, "review", "r:review:1", "user:ann")
        {
            Channel = "email",
            Outcome = ResponseStatus.Accepted,
            MessageId = "m-1",
        };

        await store.AppendAsync(runId, [accepted], timeout.Token);

        var read = Assert.Single(await store.ReadAsync(runId, cancellationToken: timeout.Token));
        Assert.Equal(("user:ann", "email", (ResponseStatus?)ResponseStatus.Accepted, "m-1", (string?)null), (read.Respondent, read.Channel, read.Outcome, read.MessageId, read.Message));
        var row = (await table.GetEntityAsync<TableEntity>(runId, "r0000000000000000001", cancellationToken: timeout.Token)).Value;
        Assert.Equal(("email", "Accepted", "m-1"), (row.GetString("Channel"), row.GetString("Outcome"), row.GetString("MessageId")));
        Assert.False(row.ContainsKey("Message"));
    }

    [Fact]
    public async Task Read_RowsWrittenBeforeTheChannelColumn_StillRead_TheAcceptedChannelMovesOutOfMessage()
    {
        using var timeout = TestTimeout.Start();
        var (store, table, runId) = await CreateAsync(timeout.Token);
        await table.AddEntityAsync(Legacy(runId, 1, RunEventKind.InputRejected, "Answer 'approve' or 'reject'."), timeout.Token);
        await table.AddEntityAsync(Legacy(runId, 2, RunEventKind.InputAccepted, "http"), timeout.Token);
        await table.AddEntityAsync(Legacy(runId, 3, RunEventKind.NodeFailed, "Attempt 1 of 3 failed: boom"), timeout.Token);

        var events = await store.ReadAsync(runId, cancellationToken: timeout.Token);

        Assert.Equal(
            [
                (RunEventKind.InputRejected, (string?)null, (ResponseStatus?)ResponseStatus.Rejected, (string?)"Answer 'approve' or 'reject'."),
                (RunEventKind.InputAccepted, "http", ResponseStatus.Accepted, null),
                (RunEventKind.NodeFailed, null, null, "Attempt 1 of 3 failed: boom"),
            ],
            events.Select(e => (e.Kind, e.Channel, e.Outcome, e.Message)));
    }

    private static TableEntity Legacy(string runId, long sequence, RunEventKind kind, string message) =>
        new(runId, "r" + sequence.ToString("D19", System.Globalization.CultureInfo.InvariantCulture))
        {
            ["Sequence"] = sequence,
            ["At"] = T0,
            ["Kind"] = kind.ToString(),
            ["Node"] = "review",
            ["RequestId"] = "r:review:1",
            ["Respondent"] = "user:ann",
            ["Message"] = message,
        };

    private async Task<(RunEventStore Store, TableClient Table, string RunId)> CreateAsync(CancellationToken cancellationToken)
    {
        var tables = azurite.CreateFactory().CreateTableServiceClient();
        var names = new TaskHubNames("Ev" + Guid.NewGuid().ToString("N")[..12]);
        var store = new RunEventStore(tables, names);
        await store.CreateIfNotExistsAsync(cancellationToken);
        return (store, tables.GetTableClient(names.LiveTable), "run-" + Guid.NewGuid().ToString("N")[..8]);
    }
}
