using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DurableTask.AzureStorage;
using HumanLoop.Durable.Storage;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Benchmarks;

/// <summary>
/// The review workflow (draft node, approval with a deadline, publish node) run twice on the same engine settings,
/// each side on its own fresh Azurite: as a HumanLoop graph, and as the orchestrator a Durable Functions user writes
/// by hand (<see cref="HandWrittenReview"/>). The driver keeps a fixed number of workflows in flight; each is started,
/// waited on until its human step is open, answered, and waited on until it completes. Reports, side by side,
/// workflows per second, the latency from just before the answer to the start of the next node's code, and storage
/// transactions per workflow (the driver's own polling included).
/// </summary>
public static class DurableBenchmark
{
    private static CompiledGraph<Article> Graph { get; } = ReviewWorkflow.Build(
        "review",
        Assignee.Role("editor"),
        s => $"Publish this draft? {s.Draft}",
        (s, _) => Task.FromResult(s with { Draft = $"A short article about {s.Topic}." }));

    /// <summary>
    /// Runs the benchmark: <c>durable [runs] [concurrency] [--only=humanloop|hand] [--no-subscriber] [--poll=ms]
    /// [--partitions=n] [--batch=n] [--extended=true|false] [--max-orchestrations=n] [--max-activities=n]</c>. The last
    /// line printed is one JSON object.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        bool subscribe = !args.Contains("--no-subscriber", StringComparer.Ordinal);
        string only = args.FirstOrDefault(a => a.StartsWith("--only=", StringComparison.Ordinal))?["--only=".Length..] ?? "both";
        var tuning = EngineTuning.Parse(args.Where(a => !a.StartsWith("--only=", StringComparison.Ordinal)));
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        int runs = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 1_000;
        int concurrency = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 8;
        int warm = Math.Min(100, Math.Max(10, runs / 10));
        string settings = "";
        SideResult? humanLoop = null;
        SideResult? hand = null;

        async Task<SideResult> HumanLoopSideAsync(bool respond)
        {
            await using var host = await DurableBenchmarkHost.StartAsync(subscribe, [Graph], tuning.ApplyTo);
            settings = EngineTuning.Describe(host.Options);
            string how = respond ? "answered through RespondAsync (validated, outcome awaited)" : "answered through RaiseEventAsync (as hand-written)";
            Console.Error.WriteLine($"HumanLoop, {how}: {warm} warm-up + {runs} workflows, {concurrency} in flight; {settings}");
            var approve = JsonSerializer.SerializeToElement("approve", HumanLoopJsonContext.Default.String);
            var input = Graph.ToJson(new Article("durable human steps"));
            var side = await MeasureAsync(runs, warm, concurrency, host.Counter, host.Service, async id =>
            {
                await host.Client.StartRunAsync("review", input, new() { RunId = id });
                var request = await WaitForRequestAsync(host, id);
                LatencyProbe.MarkAnswer(id);
                long answeredAt = Stopwatch.GetTimestamp();
                if (respond)
                {
                    var outcome = await host.Client.RespondAsync(id, request, approve, "user:editor");
                    if (outcome.Status != ResponseStatus.Accepted)
                    {
                        Console.Error.WriteLine($"Unexpected outcome for {id}: {outcome.Status} {outcome.Message}");
                    }
                }
                else
                {
                    await host.Client.RaiseEventAsync(id, request, approve);
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var done = await host.Client.WaitForCompletionAsync(id, timeout.Token);
                if (done.RuntimeStatus != RunStatus.Completed)
                {
                    var state = (await host.Service.GetOrchestrationStateAsync(id, allExecutions: false)).FirstOrDefault();
                    Console.Error.WriteLine($"Run {id} ended {done.RuntimeStatus}: {done.Error} {state?.FailureDetails} {state?.Output}");
                }

                return Stopwatch.GetElapsedTime(answeredAt).TotalMilliseconds;
            });
            Print(respond ? "HumanLoop graph (respond)" : "HumanLoop graph (raise)", side);
            return side;
        }

        SideResult? humanLoopRaise = null;
        if (only is "both" or "humanloop")
        {
            humanLoop = await HumanLoopSideAsync(respond: true);
            humanLoopRaise = await HumanLoopSideAsync(respond: false);
        }

        if (only is "both" or "hand")
        {
            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            var options = new Durable.DependencyInjection.DurableHumanLoopOptions();
            tuning.ApplyTo(options);
            settings = EngineTuning.Describe(options);
            await using var side = await HandWrittenReview.StartAsync(tuning.ApplyTo, loggers);
            Console.Error.WriteLine($"Hand-written: {warm} warm-up + {runs} workflows, {concurrency} in flight; {settings}");
            hand = await MeasureAsync(runs, warm, concurrency, side.Counter, side.Service, async id =>
            {
                await side.Client.ScheduleNewOrchestrationInstanceAsync(HandWrittenReview.OrchestratorName, "durable human steps", new StartOrchestrationOptions(id));
                await WaitForCustomStatusAsync(side.Client, id, HandWrittenReview.WaitingStatus);
                LatencyProbe.MarkAnswer(id);
                long answeredAt = Stopwatch.GetTimestamp();
                await side.Client.RaiseEventAsync(id, HandWrittenReview.ApprovalEvent, "approve");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var done = await side.Client.WaitForInstanceCompletionAsync(id, cancellation: timeout.Token);
                if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
                {
                    Console.Error.WriteLine($"Instance {id} ended {done.RuntimeStatus}");
                }

                return Stopwatch.GetElapsedTime(answeredAt).TotalMilliseconds;
            });
            Print("hand-written orchestrator", hand);
        }

        double? ratio = humanLoop is not null && hand is not null ? humanLoop.WorkflowsPerSecond / hand.WorkflowsPerSecond : null;
        double? ratioRaise = humanLoopRaise is not null && hand is not null ? humanLoopRaise.WorkflowsPerSecond / hand.WorkflowsPerSecond : null;
        Console.WriteLine($"durable: {runs} review workflows (draft -> approval with a 1-day deadline -> publish), {concurrency} in flight, each side on a fresh Azurite");
        Console.WriteLine($"  engine settings (both sides): {settings}");
        Console.WriteLine($"  {"",-28}{"workflows/s",12}{"ans->node p50",15}{"p99",9}{"ans->done p50",15}{"p99",9}{"tx/workflow",13}{"episodes",10}");
        foreach (var (name, side) in new[] { ("HumanLoop, RespondAsync", humanLoop), ("HumanLoop, RaiseEventAsync", humanLoopRaise), ("hand-written orchestrator", hand) })
        {
            if (side is not null)
            {
                Console.WriteLine(FormattableString.Invariant(
                    $"  {name,-28}{side.WorkflowsPerSecond,12:F1}{side.P50,12:F1} ms{side.P99,6:F0} ms{side.DoneP50,12:F1} ms{side.DoneP99,6:F0} ms{side.TransactionsPerWorkflow,13:F1}{side.Episodes,10}"));
            }
        }

        if (ratio is { } r && ratioRaise is { } rr)
        {
            Console.WriteLine(FormattableString.Invariant($"  HumanLoop / hand-written throughput: {r:F2}x answering through RespondAsync, {rr:F2}x raising the event as the hand-written driver does (target >= 0.9x)"));
            Console.WriteLine("  targets at 8 in flight: answer-to-next-node p50 <= 50 ms, p99 <= 250 ms");
        }

        Console.WriteLine(subscribe
            ? "  HumanLoop's human-task notices are drained by a subscriber whose calls are not counted"
            : "  no subscriber: HumanLoop's human-task notices pile up in the queue");
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"durable\",\"runs\":{runs},\"concurrency\":{concurrency},\"settings\":{JsonSerializer.Serialize(settings)},\"humanLoop\":{Json(humanLoop)},\"humanLoopRaise\":{Json(humanLoopRaise)},\"handWritten\":{Json(hand)},\"throughputRatio\":{Ratio(ratio)},\"throughputRatioRaise\":{Ratio(ratioRaise)}}}"));
        return 0;
    }

    private static async Task<SideResult> MeasureAsync(int runs, int warm, int concurrency, StorageTransactionCounter counter, AzureStorageOrchestrationService service, Func<string, Task<double>> workflow)
    {
        var completions = new ConcurrentBag<double>();
        long finished = 0;

        async Task BatchAsync(int count, string prefix)
        {
            using var gate = new SemaphoreSlim(concurrency);
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    completions.Add(await workflow(prefix + i.ToString(CultureInfo.InvariantCulture)));
                    if (Interlocked.Increment(ref finished) % 250 == 0)
                    {
                        Console.Error.WriteLine($"  {finished} workflows done");
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await BatchAsync(warm, "warm-");
        await Task.Delay(2000); // the warm-up's last records and notices settle before counting
        LatencyProbe.Drain();
        completions.Clear();
        counter.Reset();
        var clock = Stopwatch.StartNew();
        await BatchAsync(runs, "run-");
        clock.Stop();
        var transactions = counter.Snapshot();
        foreach (var (resource, count) in counter.ByResource.OrderByDescending(p => p.Value))
        {
            Console.Error.WriteLine(FormattableString.Invariant($"    {resource,-48}{(double)count / runs,8:F2} per workflow"));
        }

        var latencies = LatencyProbe.Drain();
        var done = completions.Order().ToList();
        int episodes = await EpisodesAsync(service, "run-0");
        return new SideResult(
            runs / clock.Elapsed.TotalSeconds,
            DurableBenchmarkHost.Percentile(latencies, 50),
            DurableBenchmarkHost.Percentile(latencies, 99),
            DurableBenchmarkHost.Percentile(done, 50),
            DurableBenchmarkHost.Percentile(done, 99),
            (double)transactions.Total / runs,
            transactions.ToString(),
            episodes);
    }

    /// <summary>Orchestration episodes (OrchestratorStarted events) in one finished instance's history.</summary>
    private static async Task<int> EpisodesAsync(AzureStorageOrchestrationService service, string instanceId)
    {
        var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        if (states is not [{ } state, ..])
        {
            return -1;
        }

        var history = await service.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId);
        using var document = JsonDocument.Parse(history);
        if (Environment.GetEnvironmentVariable("HUMANLOOP_BENCH_HISTORY") is "1")
        {
            var events = document.RootElement.EnumerateArray().ToList();
            var first = events[0].GetProperty("Timestamp").GetDateTime();
            Console.Error.WriteLine(string.Join(" | ", events.Select(e => FormattableString.Invariant($"+{(e.GetProperty("Timestamp").GetDateTime() - first).TotalMilliseconds:F0}ms ") + e.GetProperty("EventType").ToString() + (e.TryGetProperty("Name", out var n) ? ":" + n : string.Empty))));
        }

        return document.RootElement.EnumerateArray().Count(e =>
            e.TryGetProperty("EventType", out var type) && (type.ValueKind == JsonValueKind.Number ? type.GetInt32() == 12 : type.GetString() == "OrchestratorStarted"));
    }

    private static void Print(string name, SideResult side) => Console.Error.WriteLine(FormattableString.Invariant(
        $"{name}: {side.WorkflowsPerSecond:F1} workflows/s, answer-to-next-node p50 {side.P50:F1} ms p99 {side.P99:F1} ms, answer-to-completion p50 {side.DoneP50:F1} ms, {side.TransactionsPerWorkflow:F1} tx/workflow ({side.Transactions}), {side.Episodes} episodes"));

    private static string Ratio(double? ratio) => ratio is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "null";

    private static string Json(SideResult? side) => side is null ? "null" : FormattableString.Invariant(
        $"{{\"workflowsPerSecond\":{side.WorkflowsPerSecond:F2},\"answerToNextNodeP50Ms\":{side.P50:F1},\"answerToNextNodeP99Ms\":{side.P99:F1},\"answerToCompletionP50Ms\":{side.DoneP50:F1},\"answerToCompletionP99Ms\":{side.DoneP99:F1},\"storageTransactionsPerWorkflow\":{side.TransactionsPerWorkflow:F1},\"episodesPerWorkflow\":{side.Episodes},\"transactions\":{JsonSerializer.Serialize(side.Transactions)}}}");

    private static async Task<string> WaitForRequestAsync(DurableBenchmarkHost host, string id)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            var status = await host.Client.GetStatusAsync(id, new() { ShowInput = false, ShowOutput = false });
            if (status is { OpenRequests: [var open, ..] })
            {
                return open.Id;
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }
    }

    // The same polling as WaitForRequestAsync, so both sides pay alike for learning that the step is open.
    private static async Task WaitForCustomStatusAsync(DurableTaskClient client, string id, string expected)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            var instance = await client.GetInstanceAsync(id);
            if (instance?.SerializedCustomStatus is { } status && status.Contains(expected, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }
    }

    private sealed record SideResult(double WorkflowsPerSecond, double P50, double P99, double DoneP50, double DoneP99, double TransactionsPerWorkflow, string Transactions, int Episodes);
}
