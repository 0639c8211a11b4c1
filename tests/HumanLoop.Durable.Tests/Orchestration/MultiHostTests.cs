using System.Text.Json;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>Several self-hosted engines on one hub: the engine's partition leases share the work.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class MultiHostTests(AzuriteFixture azurite)
{
    private static readonly JsonElement Approve = JsonSerializer.SerializeToElement("approve");

    [Fact]
    public async Task TwoHosts_TwentyRunsAnsweredThroughEither_EachCompletesWithEveryNodeAndAnswerAppliedOnce()
    {
        using var timeout = TestTimeout.Start(120);
        var ct = timeout.Token;
        var hub = EngineHost.NewHubName();
        await using var first = await EngineHost.StartAsync(azurite, [TestGraphs.Approval], o => o.StorageProvider.PartitionCount = 4, hub, cancellationToken: ct);
        await using var second = await EngineHost.StartAsync(azurite, [TestGraphs.Approval], o => o.StorageProvider.PartitionCount = 4, hub, cancellationToken: ct);
        EngineHost[] hosts = [first, second];

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await hosts[i % 2].Client.StartRunAsync("approval", GraphOrchestratorTests.Json(new Flow(Title: $"t{i}")), cancellationToken: ct));
        }

        await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var client = hosts[(i + 1) % 2].Client;
            var open = await Polling.UntilAsync(client, id, s => s.OpenRequests.Count > 0, ct);
            var outcome = await client.RespondAsync(id, open.OpenRequests[0].Id, Approve, "user:editor", "test", cancellationToken: ct);
            Assert.Equal(ResponseStatus.Accepted, outcome.Status);
        }));

        foreach (var id in ids)
        {
            var done = await first.Client.WaitForCompletionAsync(id, ct);
            Assert.Equal(RunStatus.Completed, done.RuntimeStatus);
            var flow = TestGraphs.Approval.FromJson(done.Output!.Value);
            Assert.True(flow.Prepared && flow.Published && flow.Approved == true);
            Assert.Equal(1, flow.Applied);
            var events = await second.Client.GetEventsAsync(id, cancellationToken: ct);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.Sequence));
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "prepare");
            Assert.Single(events, e => e.Kind == RunEventKind.NodeCompleted && e.Node == "publish");
        }
    }
}
