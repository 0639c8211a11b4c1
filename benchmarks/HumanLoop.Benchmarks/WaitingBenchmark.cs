using System.Diagnostics;
using System.Globalization;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;

namespace HumanLoop.Benchmarks;

/// <summary>
/// Many runs waiting for people at once: starts 10,000 runs that each wait on an approval with a deadline timer and
/// reports the host's memory growth and its CPU use while nothing is due; then a batch of runs whose deadlines fall a
/// few seconds out, for timer lateness (when the timeout was applied minus when it was due).
/// </summary>
public static class WaitingBenchmark
{
    private static CompiledGraph<Article> Build(string name, TimeSpan deadline) =>
        new StateGraph<Article>(name, ArticleJson.Default.Article)
            .AddHumanNode("review", new ApprovalStep<Article>
            {
                Prompt = s => $"Publish an article about {s.Topic}?",
                Assignees = [Assignee.Role("editor")],
                Timeout = new TimeoutPolicy { After = deadline, OnTimeout = TimeoutAction.TakeDefault },
                Default = new ApprovalDecision(false, "no answer in time"),
                Apply = (s, a) => s with { Approved = a.Value.Approved, Reviewer = a.Respondent },
            })
            .SetEntryPoint("review")
            .AddEdge("review", HumanLoop.Graphs.Graph.End)
            .Compile();

    /// <summary>Runs the benchmark: <c>waiting [runs] [timerRuns]</c>; the last line printed is one JSON object.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        int runs = positional.Count > 0 && int.TryParse(positional[0], CultureInfo.InvariantCulture, out var n) ? n : 10_000;
        int timerRuns = positional.Count > 1 && int.TryParse(positional[1], CultureInfo.InvariantCulture, out var t) ? t : 500;
        var tuning = EngineTuning.Parse(args);
        var waiting = Build("waiting", TimeSpan.FromDays(30));
        var soon = Build("soon", TimeSpan.FromSeconds(4));
        await using var host = await DurableBenchmarkHost.StartAsync(subscribe: false, [waiting, soon], tuning.ApplyTo);
        Console.Error.WriteLine($"waiting: {runs} runs, then {timerRuns} with a 4 s deadline; {EngineTuning.Describe(host.Options)}");
        var input = waiting.ToJson(new Article("waiting"));
        var process = Process.GetCurrentProcess();

        await StartManyAsync(host, "waiting", input, "warm-", 200);
        await host.WaitForOpenTasksAsync(200, TimeSpan.FromMinutes(5));
        await Task.Delay(3000);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        long workingSetBefore = process.WorkingSet64;

        var clock = Stopwatch.StartNew();
        await StartManyAsync(host, "waiting", input, "wait-", runs);
        double scheduleSeconds = clock.Elapsed.TotalSeconds;

        // Scheduling only queues the start messages; the runs wait on their human step once the engine has run them.
        await host.WaitForOpenTasksAsync(200 + runs, TimeSpan.FromMinutes(30));
        double startSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(3000);
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        long workingSetAfter = process.WorkingSet64;

        // Quiet interval: everything waits, nothing is due; only polling runs.
        host.Counter.Reset();
        // HUMANLOOP_BENCH_QUIET_SECONDS lengthens the interval, e.g. to attach a profiler to it.
        var quiet = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("HUMANLOOP_BENCH_QUIET_SECONDS"), CultureInfo.InvariantCulture, out var q) && q > 0 ? q : 10);
        Console.Error.WriteLine($"  quiet interval of {quiet.TotalSeconds:N0} s starts (process {Environment.ProcessId})");
        var cpuBefore = process.TotalProcessorTime;
        await Task.Delay(quiet);
        process.Refresh();
        double cpuPercent = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / quiet.TotalMilliseconds * 100;
        long quietTransactions = host.Counter.Snapshot().Total;
        if (host.Counter.TrackResources)
        {
            // HUMANLOOP_BENCH_RESOURCES=1: what the quiet interval's storage calls were.
            foreach (var (resource, count) in host.Counter.ByResource.OrderByDescending(r => r.Value).Take(12))
            {
                Console.Error.WriteLine($"  quiet: {resource} {count}");
            }
        }

        double heapMb = (heapAfter - heapBefore) / 1048576.0;
        double wsMb = (workingSetAfter - workingSetBefore) / 1048576.0;
        Console.WriteLine($"waiting: {runs} runs waiting on an approval with a 30-day deadline (scheduled in {scheduleSeconds:N1} s, all waiting after {startSeconds:N1} s, {runs / startSeconds:N0}/s)");
        Console.WriteLine($"  memory growth: managed heap {heapMb:N1} MB, working set {wsMb:N1} MB");
        Console.WriteLine($"  idle: {cpuPercent:N2}% of one core, {quietTransactions / quiet.TotalSeconds:N1} storage transactions/s (polling)");

        // Timer lateness: deadlines 4 s out, fired by the engine's timers and applied through the run machine. A run
        // not finished within five minutes of the last start counts as missed, not as a crash of the benchmark.
        var ids = await StartManyAsync(host, "soon", input, "soon-", timerRuns);
        var lateness = new List<double>();
        var missed = 0;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            foreach (var id in ids)
            {
                try
                {
                    await host.Client.WaitForCompletionAsync(id, deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    missed++;
                    continue;
                }

                var events = await host.Client.GetEventsAsync(id);
                var opened = events.First(e => e.Kind == RunEventKind.HumanInputRequested).At;
                var fired = events.First(e => e.Kind == RunEventKind.TimedOut).At;
                lateness.Add((fired - opened - TimeSpan.FromSeconds(4)).TotalMilliseconds);
            }
        }

        lateness.Sort();
        double p50 = lateness.Count > 0 ? DurableBenchmarkHost.Percentile(lateness, 50) : double.NaN;
        double p99 = lateness.Count > 0 ? DurableBenchmarkHost.Percentile(lateness, 99) : double.NaN;
        Console.WriteLine($"  timer lateness over {lateness.Count} of {timerRuns} deadlines ({missed} not done within 5 minutes): p50 {p50:N0} ms, p99 {p99:N0} ms, max {(lateness.Count > 0 ? lateness[^1] : double.NaN):N0} ms");
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"waiting\",\"runs\":{runs},\"heapGrowthMb\":{heapMb:F1},\"workingSetGrowthMb\":{wsMb:F1},\"idleCpuPercent\":{cpuPercent:F2},\"idleTransactionsPerSecond\":{quietTransactions / quiet.TotalSeconds:F1},\"timerRuns\":{timerRuns},\"timerMissed\":{missed},\"timerLatenessP50Ms\":{p50:F0},\"timerLatenessP99Ms\":{p99:F0}}}"));
        return missed == 0 ? 0 : 1;
    }

    private static async Task<List<string>> StartManyAsync(DurableBenchmarkHost host, string graph, System.Text.Json.JsonElement input, string prefix, int count)
    {
        using var gate = new SemaphoreSlim(64);
        var ids = Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var clock = Stopwatch.StartNew();
        long started = 0;
        await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                await host.Client.StartRunAsync(graph, input, new() { RunId = id });
                if (Interlocked.Increment(ref started) % 1000 == 0)
                {
                    Console.Error.WriteLine($"  {prefix}: {started}/{count} started in {clock.Elapsed.TotalSeconds:F0} s");
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return ids;
    }
}
