using System.Text.Json;
using DurableTask.AzureStorage;
using HumanLoop.Durable.Orchestration;
using HumanLoop.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace HumanLoop.Durable.Tests.Orchestration;

/// <summary>A long human loop on the real engine with a small ContinueAsNew threshold, on its own hub.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ContinueAsNewTests(AzuriteFixture azurite)
{
    private const int Turns = 500;
    private const int Chunk = 25;

    [Fact]
    public async Task Loop_FiveHundredTurnsThroughContinueAsNew_AppliesEveryAnswerInOrderWithBoundedHistory()
    {
        using var timeout = TestTimeout.Start(300);
        var ct = timeout.Token;
        await using var host = await EngineHost.StartAsync(azurite, [TestGraphs.Loop], o => o.ContinueAsNewAfter = 20, cancellationToken: ct);
        var client = host.Client;
        var runId = await client.StartRunAsync("loop", GraphOrchestratorTests.Json(new Flow()), cancellationToken: ct);
        var expected = Enumerable.Range(1, Turns - 1).Select(i => "a" + i).Append("done").ToList();

        for (var start = 0; start < Turns; start += Chunk)
        {
            await Polling.UntilAsync(client, runId, s => s.OpenRequests.Any(r => r.Id == $"{runId}:ask:{start + 1}"), ct);
            if (start > 0)
            {
                // Paced like people: the next answers come once the last one is recorded. The run continues as new only
                // when no activity is outstanding, so a stream with a record always in flight would defer it.
                await Polling.TaskAsync(host.Tasks, runId, $"{runId}:ask:{start}", t => t.Status != HumanRequestStatus.Open, ct);

                // The row is written inside the record activity, which then sends its notices: the run takes the
                // activity's completion a moment later. Wait for that too, so the next answers do not race it.
                await Polling.ValueAsync(() => OutstandingActivitiesAsync(host, runId), n => n == 0, ct);
            }

            // Raised back to back by node name: each must reach the next request, across generations.
            foreach (var answer in expected.Skip(start).Take(Chunk))
            {
                await client.RaiseEventAsync(runId, "ask", JsonSerializer.SerializeToElement(answer), cancellationToken: ct);
            }
        }

        var done = await client.WaitForCompletionAsync(runId, ct);
        await Assertions.CompletedAsync(host, done);
        var output = TestGraphs.Loop.FromJson(done.Output!.Value);
        Assert.Equal(expected, output.Answers);
        Assert.Equal(Turns, output.Applied);

        var history = await host.Services.GetRequiredService<AzureStorageOrchestrationService>().GetOrchestrationHistoryAsync(runId, null);
        using var events = JsonDocument.Parse(history);
        var started = events.RootElement.EnumerateArray().First(e => e.GetProperty("EventType").GetInt32() == 0).GetRawText();
        Assert.True(started.Contains(RunContinuation.Marker, StringComparison.Ordinal), $"{events.RootElement.GetArrayLength()} events; the last generation did not start from a continuation.");
        var instance = await host.Engine.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        using var input = JsonDocument.Parse(instance!.SerializedInput!);
        Assert.True(input.RootElement.TryGetProperty(RunContinuation.Marker, out var generation), "The last generation's input is not a continuation: " + instance.SerializedInput![..Math.Min(300, instance.SerializedInput!.Length)]);
        Assert.True(generation.GetInt32() >= Turns / 100, $"Only {generation.GetInt32()} generations for {Turns} answers.");

        Assert.True(events.RootElement.GetArrayLength() < 600, $"The last generation's history has {events.RootElement.GetArrayLength()} events.");
    }

    /// <summary>Activities the run's current generation scheduled and has not taken the completion of.</summary>
    private static async Task<int> OutstandingActivitiesAsync(EngineHost host, string runId)
    {
        var history = await host.Services.GetRequiredService<AzureStorageOrchestrationService>().GetOrchestrationHistoryAsync(runId, null);
        using var events = JsonDocument.Parse(history);
        var types = events.RootElement.EnumerateArray().Select(e => e.GetProperty("EventType").GetInt32()).ToList();

        // TaskScheduled = 4, TaskCompleted = 5, TaskFailed = 6 (DurableTask.Core's EventType).
        return types.Count(t => t == 4) - types.Count(t => t is 5 or 6);
    }
}
