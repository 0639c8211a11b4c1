using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Runs;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>The engine and HumanLoop's stores while storage goes away and comes back: nothing is lost or applied twice.</summary>
public sealed class StorageOutageTests
{
    private const int Runs = 10;

    [Fact]
    public async Task Engine_AzuriteStoppedAndStartedWhileAnswersArrive_EveryRunCompletesWithItsAnswerAppliedOnce()
    {
        using var timeout = TestTimeout.Start(180);
        var ct = timeout.Token;
        await using var azurite = await TemporaryAzurite.StartAsync(cancellationToken: ct);
        await using var host = await EngineHost.StartAsync(azurite.Launcher, [TestGraphs.Approval], cancellationToken: ct);
        var client = host.Client;

        var runIds = new List<string>();
        for (int i = 0; i < Runs; i++)
        {
            runIds.Add(await client.StartRunAsync("approval", Json(new Flow(Title: "t" + i)), cancellationToken: ct));
        }

        var requests = new Dictionary<string, string>();
        foreach (var runId in runIds)
        {
            var open = await Polling.UntilAsync(client, runId, s => s.OpenRequests.Count > 0, ct);
            requests[runId] = open.OpenRequests[0].Id;
        }

        // Half the answers are on their way when storage stops; each may or may not have reached the run.
        var firstHalf = runIds.Take(Runs / 2).ToList();
        var inFlight = firstHalf.Select(id => TryRespondAsync(client, id, requests[id], ct)).ToList();
        await azurite.Launcher.StopAsync(ct);
        await Task.WhenAll(inFlight);
        await azurite.Launcher.StartAgainAsync(ct);

        // The callers retry with the same message ids; the others answer for the first time.
        foreach (var runId in runIds)
        {
            var outcome = await RespondUntilStoredAsync(client, runId, requests[runId], ct);
            Assert.True(outcome.Status is ResponseStatus.Accepted or ResponseStatus.Duplicate, $"{runId}: {outcome.Status} {outcome.Message}");
        }

        foreach (var runId in runIds)
        {
            var done = await client.WaitForCompletionAsync(runId, ct);
            Assert.Equal(RunStatus.Completed, done.RuntimeStatus);
            var output = TestGraphs.Approval.FromJson(done.Output!.Value);
            Assert.Equal(1, output.Applied);
            Assert.True(output.Published);

            var events = await Polling.ValueAsync(() => client.GetEventsAsync(runId, cancellationToken: ct), e => e.Count > 0 && e[^1].Kind == RunEventKind.Completed, ct);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
            Assert.Single(events, e => e.Kind == RunEventKind.InputAccepted);
            var task = await Polling.TaskAsync(host.Tasks, runId, requests[runId], t => t.Status != HumanRequestStatus.Open, ct);
            Assert.Equal(HumanRequestStatus.Accepted, task.Status);
        }
    }

    private static async Task TryRespondAsync(IDurableRunClient client, string runId, string requestId, CancellationToken ct)
    {
        try
        {
            await client.RespondAsync(runId, requestId, Json("approve"), "user:ann", messageId: "answer-" + runId, cancellationToken: ct);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException or AggregateException or TimeoutException)
        {
            // Storage went away under the call: the caller does not know whether the answer arrived.
        }
    }

    private static async Task<ResponseOutcome> RespondUntilStoredAsync(IDurableRunClient client, string runId, string requestId, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                var outcome = await client.RespondAsync(runId, requestId, Json("approve"), "user:ann", messageId: "answer-" + runId, cancellationToken: ct);
                if (outcome.Status != ResponseStatus.Buffered)
                {
                    return outcome;
                }
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException or AggregateException or TimeoutException)
            {
                // Storage is still coming back; the caller retries, as a client of the HTTP API would on a 503.
            }

            await Task.Delay(200, ct);
        }
    }

    private static JsonElement Json(Flow flow) => GraphOrchestratorTests.Json(flow);

    private static JsonElement Json(string text) => GraphOrchestratorTests.Json(text);
}
