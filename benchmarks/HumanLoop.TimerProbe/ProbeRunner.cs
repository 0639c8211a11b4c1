using System.Globalization;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Storage;

namespace HumanLoop.TimerProbe;

/// <summary>Runs every scenario against every design, each on a freshly launched Azurite, and prints the figures.</summary>
internal sealed class ProbeRunner(ProbeSettings settings, TimeProvider time, TextWriter output)
{
    public async Task<IReadOnlyList<Measurements>> RunAsync(CancellationToken cancellationToken)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Timer probe: {settings.Timers} timers, lead {settings.Lead.TotalSeconds} s, window {settings.Window.TotalSeconds} s, " +
            $"idle poll {settings.PollInterval.TotalMilliseconds} ms, concurrency {settings.Concurrency}, backlog near timers {settings.BacklogNearTimers}; " +
            $"{Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}"));
        var results = new List<Measurements>();
        foreach (var scenario in settings.Scenarios)
        {
            foreach (var design in settings.Designs)
            {
                var result = await RunOneAsync(scenario, design, cancellationToken);
                results.Add(result);
                output.WriteLine(Describe(result));
            }
        }

        output.WriteLine();
        output.WriteLine("| design | scenario | measured timers | schedule (timers/s) | fired | early | lateness p50 / p90 / p99 / max (ms) | fire rate (timers/s) | poll calls | poll latency mean / p95 (ms) | transactions: schedule / fire phase (per measured timer) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Design} | {r.Scenario} | {r.Measured} | {ScheduleRate(r):0} | {r.Fired} | {r.Early} (+{r.Redeferred} re-hidden) | " +
                $"{r.LatenessPercentile(50):0} / {r.LatenessPercentile(90):0} / {r.LatenessPercentile(99):0} / {r.LatenessPercentile(100):0} | " +
                $"{FireRate(r):0} | {r.Polls} | {r.PollMean:0.0} / {r.PollPercentile(95):0.0} | " +
                $"{r.ScheduleTransactions?.Total} / {r.FireTransactions?.Total} ({(double)(r.FireTransactions?.Total ?? 0) / Math.Max(1, r.Fired):0.00}) |"));
        }

        return results;
    }

    private async Task<Measurements> RunOneAsync(string scenario, string designName, CancellationToken cancellationToken)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), "humanloop-timerprobe-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var azurite = await AzuriteLauncher.StartAsync(new AzuriteOptions { DataFolder = dataFolder }, logger: null, cancellationToken);
            var counter = new StorageTransactionCounter();
            var factory = StorageAccountFactory.FromConnectionString(azurite.ConnectionString, new StorageClientSettings { PerCallPolicy = counter });
            var start = time.GetUtcNow();
            ITimerDesign design = designName switch
            {
                "queue" => new QueueTimerDesign(factory.CreateQueueServiceClient().GetQueueClient("probe-timers"), time, settings),
                "table" => new TableTimerDesign(factory.CreateTableServiceClient().GetTableClient("ProbeTimers"), time, settings, start),
                _ => throw new ArgumentException($"Unknown design '{designName}': use queue or table."),
            };
            await design.PrepareAsync(cancellationToken);

            var plan = TimerPlan.Create(scenario, settings, start);
            var measured = plan.Where(t => t.Measured).ToList();
            var measurements = new Measurements
            {
                Design = design.Name,
                Scenario = scenario,
                Measured = measured.Count,
                FirstDue = measured.Min(t => t.Due),
            };

            counter.Reset();
            var scheduling = time.GetTimestamp();
            var late = 0;
            await Parallel.ForEachAsync(
                plan,
                new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancellationToken },
                async (timer, ct) =>
                {
                    await design.ScheduleAsync(timer, ct);
                    if (timer.Measured && time.GetUtcNow() > timer.Due)
                    {
                        Interlocked.Increment(ref late);
                    }
                });
            measurements.ScheduleTime = time.GetElapsedTime(scheduling);
            measurements.ScheduledAfterDue = late;
            measurements.ScheduleTransactions = counter.Reset();

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(settings.Lead + settings.Window + TimeSpan.FromMinutes(3));
            try
            {
                await design.RunPollerAsync(measurements, () => measurements.Fired >= measurements.Measured, limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                output.WriteLine($"  {design.Name}/{scenario}: gave up with {measurements.Fired} of {measurements.Measured} fired.");
            }

            measurements.FireTransactions = counter.Reset();
            return measurements;
        }
        finally
        {
            try
            {
                Directory.Delete(dataFolder, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }

    private static double ScheduleRate(Measurements r) => r.ScheduleTransactions!.Total / r.ScheduleTime.TotalSeconds;

    private static double FireRate(Measurements r)
    {
        var span = (r.LastFired - r.FirstDue).TotalSeconds;
        return span > 0 ? r.Fired / span : double.NaN;
    }

    private static string Describe(Measurements r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Design,-5} {r.Scenario,-7}: scheduled in {r.ScheduleTime.TotalSeconds:0.00} s ({r.ScheduledAfterDue} after their due time); " +
        $"fired {r.Fired}/{r.Measured}, early {r.Early}, re-hidden {r.Redeferred}, duplicates {r.Duplicates}; " +
        $"lateness min {r.LatenessMin:0} mean {r.LatenessMean:0} p50 {r.LatenessPercentile(50):0} p99 {r.LatenessPercentile(99):0} max {r.LatenessPercentile(100):0} ms; " +
        $"{r.Polls} polls, mean {r.PollMean:0.0} ms; transactions {r.ScheduleTransactions} / {r.FireTransactions}");
}
