using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>The graph orchestrator on the real engine (self-hosted worker on Azurite), one hub for the class.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class GraphOrchestratorTests(SharedEngineHost shared) : IClassFixture<SharedEngineHost>
{
    private IDurableRunClient Client => shared.Host.Client;

    [Fact]
    public async Task Approval_AnsweredOnce_CompletesWithAnswerAppliedOnceAndTaskAcceptedAndGaplessEvents()
    {
        using var timeout = TestTimeout.Start(60);
        var ct = timeout.Token;
        var runId = await Client.StartRunAsync("approval", Json(new Flow(Title: "t")), cancellationToken: ct);

        var request = await WaitForOpenRequestAsync(runId, "review", ct);
        // The status lists the request as soon as it opens; its row is written by the record activity just after.
        var open = await Polling.TaskAsync(shared.Host.Tasks, runId, request.Id, t => true, ct);
        Assert.Equal(HumanRequestStatus.Open, open.Status);
        Assert.Equal("role:editor", Assert.Single(open.Assignees));

        var outcome = await Client.RespondAsync(runId, request.Id, Json("approve"), "user:ann", "web", "m1", ct);
        Assert.Equal(ResponseStatus.Accepted, outcome.Status);

        var done = await Client.WaitForCompletionAsync(runId, ct);
        await AssertCompletedAsync(done);
        var output = TestGraphs.Approval.FromJson(done.Output!.Value);
        Assert.True(output.Prepared);
        Assert.True(output.Approved);
        Assert.True(output.Published);
        Assert.Equal(1, output.Applied);
        Assert.Equal("user:ann", output.Reviewer);

        var closed = await Polling.TaskAsync(shared.Host.Tasks, runId, request.Id, t => t.Status != HumanRequestStatus.Open, ct);
        Assert.Equal(HumanRequestStatus.Accepted, closed.Status);
        Assert.Equal("user:ann", closed.Respondent);
        Assert.Equal("web", closed.AnsweredVia);
        Assert.NotNull(closed.ClosedAt);

        var events = await Client.GetEventsAsync(runId, cancellationToken: ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted && e.Respondent == "user:ann");
        Assert.Equal(RunEventKind.Completed, events[^1].Kind);
    }

    internal Task AssertCompletedAsync(RunStatusInfo status) => Assertions.CompletedAsync(shared.Host, status);

    internal static JsonElement Json(Flow flow) => TestGraphs.Approval.ToJson(flow);

    internal static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text);

    internal async Task<HumanRequest> WaitForOpenRequestAsync(string runId, string node, CancellationToken ct, int occurrence = 1)
    {
        var id = $"{runId}:{node}:{occurrence}";
        var status = await PollAsync(runId, s => s.OpenRequests.Any(r => r.Id == id), ct);
        return status.OpenRequests.Single(r => r.Id == id);
    }

    internal Task<RunStatusInfo> PollAsync(string runId, Func<RunStatusInfo, bool> until, CancellationToken ct) =>
        Polling.UntilAsync(Client, runId, until, ct);
}
