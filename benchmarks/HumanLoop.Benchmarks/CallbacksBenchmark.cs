using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Functions.Hosting;
using HumanLoop.Graphs;
using HumanLoop.Human;
using HumanLoop.Runs;
using HumanLoop.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Benchmarks;

/// <summary>
/// External systems answering tasks through the callback API, on the self-hosted engine as deployed: the real app on
/// Kestrel (HTTP, API key, rate limiter, the assignee gate, idempotency), a freshly launched Azurite and the pinned
/// smtp4dev receiving each task's email. Starts N review runs (draft, an approval assigned to a user with an email
/// address, publish), waits until every task is open, then POSTs one callback per task with a fixed number in flight.
/// Reports answers per second over that phase, answer-to-next-node latency (from just before the POST to the start of
/// the publish node's code), and notification latency (from the task's recorded opening to smtp4dev's receipt of its
/// email).
/// </summary>
public static class CallbacksBenchmark
{
    private const string ApiKey = "bench-callbacks-key";
    private const string Reviewer = "reviewer";
    private const string ReviewerAddress = "reviewer@bench.test";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> DraftReturned = new(StringComparer.Ordinal);

    // The topic is the run id, so each email is matched to its task by its subject.
    private static CompiledGraph<Article> Graph { get; } = ReviewWorkflow.Build("callback-review", Assignee.User(Reviewer), s => $"Approve {s.Topic}?", (s, ctx) =>
    {
        // The run reaches its review step as this returns: the request opens (and its email goes out) from here.
        DraftReturned[ctx.RunId] = TimeProvider.System.GetUtcNow();
        return Task.FromResult(s with { Draft = $"A short article about {s.Topic}." });
    });

    /// <summary>Runs the benchmark: <c>callbacks [tasks=200] [concurrency=8]</c>; the last line printed is one JSON object.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        int tasks = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 200;
        int concurrency = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 8;
        int warm = Math.Min(20, Math.Max(5, tasks / 10));
        if (tasks < 1 || concurrency < 1 || tasks + warm > 900)
        {
            Console.Error.WriteLine("callbacks: tasks must be 1-880 (smtp4dev keeps 1,000 messages) and concurrency at least 1.");
            return 64;
        }

        var clock = Stopwatch.StartNew();
        await using var azurite = await BenchAzurite.StartAsync();
        await using var smtp = await Smtp4dev.StartAsync(CancellationToken.None);
        Console.Error.WriteLine($"Azurite and smtp4dev up in {clock.ElapsedMilliseconds} ms (SMTP {smtp.SmtpPort})");

        await using var app = HumanLoopWebApplication.Create(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [AppSettings.Storage] = azurite.ConnectionString,
                ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = "Callbacks" + Guid.NewGuid().ToString("N")[..8],
                [AppSettings.ApiKeys] = ApiKey,
                [AppSettings.CallbackPermitLimit] = "1000000",
                ["HumanLoop:Email:Host"] = "127.0.0.1",
                ["HumanLoop:Email:Port"] = smtp.SmtpPort.ToString(CultureInfo.InvariantCulture),
                ["HumanLoop:Email:Security"] = "None",
                [$"HumanLoop:Directory:Users:{Reviewer}:Email"] = ReviewerAddress,
            });
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddDurableHumanLoop().AddGraph(Graph);
        });
        await app.StartAsync();
        var baseAddress = new Uri(app.Urls.Single());
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Add("x-functions-key", ApiKey);
        var runs = app.Services.GetRequiredService<IDurableRunClient>();
        var store = app.Services.GetRequiredService<HumanTaskStore>();
        Console.Error.WriteLine($"callbacks: {warm} warm-up + {tasks} tasks, {concurrency} answers in flight; app on {baseAddress}");

        // Warm-up: the whole path once per run, untimed.
        var warmIds = await OpenAsync(runs, "warm-", warm, concurrency);
        await AnswerAllAsync(http, warmIds, concurrency);
        await WaitAllAsync(runs, warmIds);
        LatencyProbe.Drain();

        var ids = await OpenAsync(runs, "cb-", tasks, concurrency);
        Console.Error.WriteLine($"  {tasks} tasks open; answering");
        var answerClock = Stopwatch.StartNew();
        var outcomes = await AnswerAllAsync(http, ids, concurrency);
        answerClock.Stop();
        var final = await WaitAllAsync(runs, ids);
        var nextNode = LatencyProbe.Drain();
        var answersPerSecond = tasks / answerClock.Elapsed.TotalSeconds;
        var refused = outcomes.Count(o => o != 200);
        var notCompleted = final.Count(s => s.RuntimeStatus != RunStatus.Completed || s.Output is not { } output || !Graph.FromJson(output).Published);

        // Notification latency: from the request opening (the node before it returned) to smtp4dev's receipt of its
        // email; and from the opening time the task records (the orchestrator's clock when it applied that transition).
        var recorded = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            recorded[id] = (await store.ListAsync(new HumanTaskQuery { RunId = id })).Single().OpenedAt;
        }

        var received = await WaitForEmailsAsync(smtp, ids, TimeSpan.FromMinutes(2));
        var notification = ids.Where(id => received.ContainsKey(id) && DraftReturned.ContainsKey(id)).Select(id => (received[id] - DraftReturned[id]).TotalMilliseconds).Order().ToList();
        var fromRecorded = ids.Where(received.ContainsKey).Select(id => (received[id] - recorded[id]).TotalMilliseconds).Order().ToList();

        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        Console.WriteLine($"callbacks: {tasks} tasks answered through POST /api/runs/{{id}}/requests/{{request}}/responses (API key), {concurrency} in flight, on the self-hosted app (Kestrel), a fresh Azurite and smtp4dev; load average {load}");
        Console.WriteLine(FormattableString.Invariant($"  answers/s {answersPerSecond,8:F1}   ({answerClock.Elapsed.TotalSeconds:F1} s; non-200 answers: {refused}; runs not published: {notCompleted})"));
        Console.WriteLine(FormattableString.Invariant($"  answer -> next node      p50 {P(nextNode, 50),7:F1} ms   p99 {P(nextNode, 99),7:F1} ms   ({nextNode.Count} samples)"));
        Console.WriteLine(FormattableString.Invariant($"  opened -> email received p50 {P(notification, 50),7:F1} ms   p99 {P(notification, 99),7:F1} ms   ({notification.Count} of {tasks} emails; opened = the node before the review returned)"));
        Console.WriteLine(FormattableString.Invariant($"  recorded OpenedAt -> email p50 {P(fromRecorded, 50),7:F1} ms   p99 {P(fromRecorded, 99),7:F1} ms   (negative: the node's activity sends it before the orchestrator records the opening)"));
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"callbacks\",\"tasks\":{tasks},\"concurrency\":{concurrency},\"loadAverage\":{JsonSerializer.Serialize(load)},\"answersPerSecond\":{answersPerSecond:F2},\"nonOkAnswers\":{refused},\"runsNotPublished\":{notCompleted},\"answerToNextNodeP50Ms\":{P(nextNode, 50):F1},\"answerToNextNodeP99Ms\":{P(nextNode, 99):F1},\"notificationP50Ms\":{P(notification, 50):F1},\"notificationP99Ms\":{P(notification, 99):F1},\"recordedOpenedToEmailP50Ms\":{P(fromRecorded, 50):F1},\"recordedOpenedToEmailP99Ms\":{P(fromRecorded, 99):F1},\"emailsReceived\":{notification.Count}}}"));
        await app.StopAsync();
        BenchAzurite.DeleteData(azurite);
        return refused == 0 && notCompleted == 0 && notification.Count == tasks ? 0 : 1;
    }

    private static double P(List<double> sorted, double p) => DurableBenchmarkHost.Percentile(sorted, p);

    /// <summary>Starts <paramref name="count"/> runs and waits until each one's review task is open.</summary>
    private static async Task<List<string>> OpenAsync(IDurableRunClient runs, string prefix, int count, int concurrency)
    {
        var ids = Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6]).ToList();
        using var gate = new SemaphoreSlim(Math.Max(concurrency, 8));
        await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                await runs.StartRunAsync(Graph.Name, Graph.ToJson(new Article(id)), new StartRunOptions { RunId = id });
                var delay = TimeSpan.FromMilliseconds(10);
                while ((await runs.GetStatusAsync(id, new StatusOptions { ShowInput = false, ShowOutput = false }))?.OpenRequests is not [_, ..])
                {
                    await Task.Delay(delay);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return ids;
    }

    /// <summary>POSTs one approving callback per run (to the human node's name, with an Idempotency-Key); returns the status codes.</summary>
    private static async Task<List<int>> AnswerAllAsync(HttpClient http, List<string> ids, int concurrency)
    {
        using var gate = new SemaphoreSlim(concurrency);
        var statuses = await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{Uri.EscapeDataString(id)}/requests/review/responses")
                {
                    Content = new StringContent("""{"answer":{"approved":true},"respondent":"user:reviewer"}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                };
                request.Headers.Add("Idempotency-Key", "bench-" + id);
                LatencyProbe.MarkAnswer(id);
                using var response = await http.SendAsync(request);
                if (response.StatusCode != System.Net.HttpStatusCode.OK)
                {
                    Console.Error.WriteLine($"  {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                return (int)response.StatusCode;
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. statuses];
    }

    private static async Task<RunStatusInfo[]> WaitAllAsync(IDurableRunClient runs, List<string> ids)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        return await Task.WhenAll(ids.Select(id => runs.WaitForCompletionAsync(id, timeout.Token)));
    }

    /// <summary>When smtp4dev received each run's email (its subject names the run), waiting until all arrived or the limit passed.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> WaitForEmailsAsync(Smtp4dev smtp, List<string> ids, TimeSpan limit)
    {
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var received = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        while (received.Count < wanted.Count && clock.Elapsed < limit)
        {
            using var document = JsonDocument.Parse(await smtp.Api.GetStringAsync("api/messages?pageSize=1000"));
            foreach (var message in document.RootElement.GetProperty("results").EnumerateArray())
            {
                var subject = message.GetProperty("subject").GetString() ?? string.Empty;
                var start = subject.IndexOf("Approve ", StringComparison.Ordinal);
                var end = subject.LastIndexOf('?');
                if (start >= 0 && end > start && subject[(start + "Approve ".Length)..end] is var id && wanted.Contains(id))
                {
                    received[id] = message.GetProperty("receivedDate").GetDateTimeOffset();
                }
            }

            if (received.Count < wanted.Count)
            {
                await Task.Delay(250);
            }
        }

        return received;
    }

}
