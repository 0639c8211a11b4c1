using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Serialization;

namespace HumanLoop.Benchmarks;

/// <summary>
/// Review workflows (draft node, approval step, publish node, END) on one durable host against a fresh Azurite; each
/// human step is answered through the client as soon as it opens. Reports responses applied per second, the latency
/// from a response to the next node starting, and storage transactions per workflow run (polling included).
/// </summary>
public static class DurableBenchmark
{
    private static readonly ConcurrentDictionary<string, long> RespondedAt = new(StringComparer.Ordinal);
    private static readonly ConcurrentBag<double> Latencies = [];

    private static CompiledGraph<Article> Graph { get; } = new StateGraph<Article>("review", ArticleJson.Default.Article)
        .AddNode("draft", s => s with { Draft = $"A short article about {s.Topic}." })
        .AddHumanNode("review", new ApprovalStep<Article>
        {
            Prompt = s => $"Publish this draft? {s.Draft}",
            Assignees = [Assignee.Role("editor")],
            Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
        })
        .AddNode("publish", (s, ctx) =>
        {
            if (RespondedAt.TryRemove(ctx.RunId, out var at))
            {
                Latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            }

            return Task.FromResult(s with { Published = true });
        })
        .SetEntryPoint("draft")
        .AddEdge("draft", "review")
        .AddConditionalEdges("review", s => s.Approved == true ? "publish" : HumanLoop.Graphs.Graph.End)
        .AddEdge("publish", HumanLoop.Graphs.Graph.End)
        .Compile();

    /// <summary>
    /// Runs the benchmark: <c>durable [runs] [concurrency] [--no-subscriber]</c>; the last line printed is one JSON
    /// object. By default an external subscriber drains the human-task queue, as a hub with a queue channel has.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        bool subscribe = !args.Contains("--no-subscriber", StringComparer.Ordinal);
        args = [.. args.Where(a => a != "--no-subscriber")];
        int runs = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) ? n : 2_000;
        int concurrency = args.Length > 2 && int.TryParse(args[2], CultureInfo.InvariantCulture, out var c) ? c : 8;
        await using var host = await DurableBenchmarkHost.StartAsync(subscribe, Graph);
        var approve = JsonSerializer.SerializeToElement("approve", HumanLoopJsonContext.Default.String);
        var input = Graph.ToJson(new Article("durable human steps"));
        var responseTimes = new ConcurrentBag<(long Start, long End)>();

        async Task BatchAsync(int count, string prefix)
        {
            using var gate = new SemaphoreSlim(concurrency);
            var all = Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var id = prefix + i.ToString(CultureInfo.InvariantCulture);
                    await host.Client.StartRunAsync("review", input, new() { RunId = id });
                    var request = await WaitForRequestAsync(host, id);
                    long start = Stopwatch.GetTimestamp();
                    RespondedAt[id] = start;
                    var outcome = await host.Client.RespondAsync(id, request, approve, "user:editor");
                    responseTimes.Add((start, Stopwatch.GetTimestamp()));
                    if (outcome.Status != ResponseStatus.Accepted)
                    {
                        Console.Error.WriteLine($"Unexpected outcome for {id}: {outcome.Status} {outcome.Message}");
                    }

                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await host.Client.WaitForCompletionAsync(id, timeout.Token);
                }
                finally
                {
                    gate.Release();
                }
            });
            await Task.WhenAll(all);
        }

        await BatchAsync(Math.Min(200, runs / 5), "warm-");
        Latencies.Clear();
        responseTimes.Clear();
        await Task.Delay(3000); // let deferred outbox work of the warm-up settle before counting
        host.Counter.Reset();
        var clock = Stopwatch.StartNew();
        await BatchAsync(runs, "run-");
        clock.Stop();
        var transactions = host.Counter.Snapshot();

        var times = responseTimes.ToList();
        double window = Stopwatch.GetElapsedTime(times.Min(t => t.Start), times.Max(t => t.End)).TotalSeconds;
        double responsesPerSecond = times.Count / window;
        var sorted = Latencies.OrderBy(x => x).ToList();
        double p50 = DurableBenchmarkHost.Percentile(sorted, 50);
        double p99 = DurableBenchmarkHost.Percentile(sorted, 99);
        double perRun = (double)transactions.Total / runs;
        Console.WriteLine($"durable: {runs} review workflows (draft -> approval -> publish -> END), {concurrency} in flight, one host, Azurite");
        Console.WriteLine($"  {responsesPerSecond:N0} human responses applied/s, response-to-next-node p50 {p50:N1} ms, p99 {p99:N1} ms, {runs / clock.Elapsed.TotalSeconds:N0} workflows/s");
        Console.WriteLine($"  storage transactions: {perRun:N1} per workflow run ({transactions})");
        Console.WriteLine(subscribe
            ? $"  human-task notices drained by a subscriber: {host.NoticesConsumed:N0} (its receives and deletes are not counted above)"
            : "  no subscriber: human-task notices pile up in the queue");
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"durable\",\"runs\":{runs},\"concurrency\":{concurrency},\"subscriber\":{(subscribe ? "true" : "false")},\"responsesPerSecond\":{responsesPerSecond:F0},\"latencyP50Ms\":{p50:F1},\"latencyP99Ms\":{p99:F1},\"workflowsPerSecond\":{runs / clock.Elapsed.TotalSeconds:F0},\"storageTransactionsPerRun\":{perRun:F1}}}"));
        return 0;
    }

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
}
