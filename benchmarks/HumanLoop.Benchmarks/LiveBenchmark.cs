using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace HumanLoop.Benchmarks;

/// <summary>
/// Many people chatting at once: the self-hosted app (its own process, on its own Azurite) serves <c>clients</c>
/// WebSocket connections, each following its own <c>support-chat</c> run. Reports the app's memory per idle connection,
/// the push latency of agent messages (from the time the node said it, stamped in the frame's <c>at</c>, to the frame's
/// arrival), the first-token latency of a streamed reply (from sending the answer to its first chunk), and answers per
/// second while the clients answer their prompts, <c>active</c> conversations at a time (the others stay connected and
/// idle, so the host holds every connection throughout).
/// </summary>
public static class LiveBenchmark
{
    private const string Graph = "support-chat";

    /// <summary>Runs the benchmark: <c>live [clients] [followUps] [active] [conversations]</c>; the last line printed is one JSON object.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        int clients = positional.Count > 0 && int.TryParse(positional[0], CultureInfo.InvariantCulture, out var n) ? n : 1000;
        int followUps = positional.Count > 1 && int.TryParse(positional[1], CultureInfo.InvariantCulture, out var f) ? f : 1;
        int active = positional.Count > 2 && int.TryParse(positional[2], CultureInfo.InvariantCulture, out var a) ? Math.Clamp(a, 1, clients) : Math.Min(clients, 50);

        // How many of the clients converse (the rest stay connected and idle to the end); all by default.
        int conversations = positional.Count > 3 && int.TryParse(positional[3], CultureInfo.InvariantCulture, out var c) ? Math.Clamp(c, 1, clients) : clients;

        await using var azurite = await BenchAzurite.StartAsync();
        await using var app = await AppProcess.StartAsync(azurite.ConnectionString);
        Console.Error.WriteLine($"live: {clients} WebSocket clients, each in its own {Graph} run, {followUps} follow-up question(s) each, {conversations} of them conversing, {active} at a time; app pid {app.ProcessId} on {app.BaseAddress}");
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

        // Warm-up: one whole conversation, so the baseline includes the app's JIT and pools.
        await RunConversationsAsync(http, app.BaseAddress, "warm-", 1, followUps, TimeSpan.FromMinutes(1));
        await Task.Delay(3000);

        // The runs start and wait on their first question before anyone connects.
        var ids = Enumerable.Range(0, clients).Select(i => "live-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var clock = Stopwatch.StartNew();
        await ForEachAsync(ids, 32, id => StartAsync(http, id));
        Console.Error.WriteLine($"  {clients} runs scheduled in {clock.Elapsed.TotalSeconds:F0} s");
        await ForEachAsync(ids, 16, id => WaitForOpenRequestAsync(http, id));
        Console.Error.WriteLine($"  {clients} runs waiting on their first question after {clock.Elapsed.TotalSeconds:F0} s");
        await Task.Delay(3000);
        long baseline = app.WorkingSet();

        // Every client connects, reads its replay up to its open prompt, then sits idle.
        clock.Restart();
        var sessions = new ConcurrentBag<LiveClient>();
        await ForEachAsync(ids, 64, async id => sessions.Add(await LiveClient.ConnectAsync(app.BaseAddress, id)));
        await WaitAllAsync(sessions.Select(s => s.WaitForPromptAsync("account", TimeSpan.FromMinutes(30))));
        double connectSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(5000);
        long idle = app.WorkingSet();
        double perConnectionKb = (idle - baseline) / 1024.0 / clients;
        Console.Error.WriteLine($"  {clients} connected and at their first prompt in {connectSeconds:F0} s; app working set {baseline / 1048576.0:F0} -> {idle / 1048576.0:F0} MB");

        // The clients converse, `active` at a time: account, username, follow-ups, done; each answer waits for the next
        // prompt. Every other connection stays open and idle meanwhile (those done close as their run ends).
        foreach (var session in sessions)
        {
            session.StartMeasuring();
        }

        clock.Restart();
        using (var turns = new SemaphoreSlim(active))
        {
            await WaitAllAsync(sessions.Take(conversations).Select(async s =>
            {
                await turns.WaitAsync();
                try
                {
                    await s.ConverseAsync(followUps, TimeSpan.FromMinutes(30));
                }
                finally
                {
                    turns.Release();
                }
            }));
        }

        double answerSeconds = clock.Elapsed.TotalSeconds;
        int answers = sessions.Sum(s => s.Answers);
        var push = sessions.SelectMany(s => s.PushLatencies).Order().ToList();
        var firstToken = sessions.SelectMany(s => s.FirstTokenLatencies).Order().ToList();
        long peak = app.WorkingSet();
        foreach (var session in sessions)
        {
            await session.DisposeAsync();
        }

        double p50 = DurableBenchmarkHost.Percentile(push, 50), p99 = DurableBenchmarkHost.Percentile(push, 99);
        double t50 = DurableBenchmarkHost.Percentile(firstToken, 50), t99 = DurableBenchmarkHost.Percentile(firstToken, 99);
        Console.WriteLine($"live: {clients} WebSocket clients on one host, each in its own {Graph} run (connected in {connectSeconds:F0} s), {conversations} conversing, {active} at a time, the others connected and idle");
        Console.WriteLine($"  memory per idle connection: {perConnectionKb:N1} KB (app working set {baseline / 1048576.0:N0} MB with the runs waiting, {idle / 1048576.0:N0} MB connected, {peak / 1048576.0:N0} MB after answering)");
        Console.WriteLine($"  answers: {answers} in {answerSeconds:N1} s = {answers / answerSeconds:N1}/s");
        Console.WriteLine($"  push latency of agent messages ({push.Count}): p50 {p50:N0} ms, p99 {p99:N0} ms");
        Console.WriteLine($"  first-token latency of streamed replies ({firstToken.Count}): p50 {t50:N0} ms, p99 {t99:N0} ms");
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"scenario\":\"live\",\"clients\":{clients},\"active\":{active},\"conversations\":{conversations},\"followUps\":{followUps},\"memoryPerIdleConnectionKb\":{perConnectionKb:F1},\"answers\":{answers},\"answersPerSecond\":{answers / answerSeconds:F1},\"pushP50Ms\":{p50:F0},\"pushP99Ms\":{p99:F0},\"firstTokenP50Ms\":{t50:F0},\"firstTokenP99Ms\":{t99:F0}}}"));
        BenchAzurite.DeleteData(azurite);

        return 0;
    }

    private static async Task RunConversationsAsync(HttpClient http, Uri baseAddress, string prefix, int count, int followUps, TimeSpan limit)
    {
        for (var i = 0; i < count; i++)
        {
            var id = prefix + i.ToString(CultureInfo.InvariantCulture);
            await StartAsync(http, id);
            await using var client = await LiveClient.ConnectAsync(baseAddress, id);
            await client.WaitForPromptAsync("account", limit);
            await client.ConverseAsync(followUps, limit);
        }
    }

    private static async Task StartAsync(HttpClient http, string id)
    {
        using var response = await http.PostAsync($"/api/orchestrators/{Graph}/{id}", null);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"Starting {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task WaitForOpenRequestAsync(HttpClient http, string id)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(30))
        {
            using var response = await http.GetAsync($"/api/runs/{id}/requests");
            if (response.IsSuccessStatusCode && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"{id}: no open request within 30 minutes.");
    }

    private static async Task ForEachAsync(IEnumerable<string> items, int concurrency, Func<string, Task> action)
    {
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(items.Select(async item =>
        {
            await gate.WaitAsync();
            try
            {
                await action(item);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static async Task WaitAllAsync(IEnumerable<Task> tasks)
    {
        var all = tasks.ToList();
        var whenAll = Task.WhenAll(all);
        var clock = Stopwatch.StartNew();
        while (await Task.WhenAny(whenAll, Task.Delay(TimeSpan.FromSeconds(10))) != whenAll)
        {
            Console.Error.WriteLine($"  {all.Count(t => t.IsCompleted)}/{all.Count} clients done ({clock.Elapsed.TotalSeconds:F0} s)");
        }

        await whenAll;
    }

    /// <summary>One person in the chat: a WebSocket that keeps its frames and answers each prompt as it comes.</summary>
    private sealed class LiveClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly string _runId;
        private readonly List<JsonElement> _frames = [];
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly Task _receiving;
        private volatile bool _measuring;
        private int _answers;

        private LiveClient(ClientWebSocket socket, string runId)
        {
            _socket = socket;
            _runId = runId;
            _receiving = Task.Run(ReceiveAsync);
        }

        public int Answers => _answers;

        public ConcurrentBag<double> PushLatencies { get; } = [];

        public ConcurrentBag<double> FirstTokenLatencies { get; } = [];

        public static async Task<LiveClient> ConnectAsync(Uri baseAddress, string runId)
        {
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = $"/api/runs/{Uri.EscapeDataString(runId)}/live" }.Uri;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await socket.ConnectAsync(uri, timeout.Token);
            return new LiveClient(socket, runId);
        }

        public void StartMeasuring() => _measuring = true;

        public async Task<JsonElement> WaitForPromptAsync(string node, TimeSpan limit, int after = 0) =>
            await WaitForAsync(f => Type(f) == "prompt" && Text(f, "node") == node, limit, after);

        /// <summary>Answers the open account prompt and everything after it until the run ends.</summary>
        public async Task ConverseAsync(int followUps, TimeSpan limit)
        {
            var account = await WaitForPromptAsync("account", limit);
            int mark = Count;
            await AnswerAsync(account, "existing");
            var next = await WaitForPromptAsync("username", limit, mark);
            for (var i = 0; i <= followUps; i++)
            {
                // The answer that makes the agent stream a reply: the username first, then each follow-up question.
                mark = Count;
                var sent = Stopwatch.GetTimestamp();
                await AnswerAsync(next, i == 0 ? "user." + _runId : "How long is the reset link valid?");
                await WaitForAsync(f => Type(f) == "chunk" && Text(f, "node") == "reply", limit, mark);
                FirstTokenLatencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                next = await WaitForPromptAsync("more", limit, mark);
            }

            await AnswerAsync(next, "done");
            await WaitForAsync(f => Type(f) == "end", limit);
        }

        public async ValueTask DisposeAsync()
        {
            _socket.Abort();
            await _receiving.ContinueWith(_ => { }, TaskScheduler.Default);
            _socket.Dispose();
            _arrived.Dispose();
        }

        private int Count
        {
            get
            {
                lock (_frames)
                {
                    return _frames.Count;
                }
            }
        }

        private IEnumerable<string> Last(int count)
        {
            lock (_frames)
            {
                return [.. _frames.TakeLast(count).Select(f => f.GetRawText())];
            }
        }

        private async Task AnswerAsync(JsonElement prompt, string value)
        {
            var requestId = Text(prompt, "requestId")!;
            var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["type"] = "answer", ["requestId"] = requestId, ["value"] = value, ["clientMessageId"] = requestId + "#" + _answers.ToString(CultureInfo.InvariantCulture) });
            await _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
            Interlocked.Increment(ref _answers);
        }

        private async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan limit, int after = 0)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                lock (_frames)
                {
                    for (var i = Math.Max(0, after); i < _frames.Count; i++)
                    {
                        if (match(_frames[i]))
                        {
                            return _frames[i];
                        }
                    }
                }

                if (_receiving.IsCompleted)
                {
                    throw new InvalidOperationException($"{_runId}: the socket closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) before the frame came.");
                }

                if (clock.Elapsed > limit)
                {
                    throw new TimeoutException($"{_runId}: no matching frame within {limit}; the last frames: {string.Join(" ", Last(6))}");
                }

                await _arrived.WaitAsync(TimeSpan.FromMilliseconds(500));
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            using var message = new MemoryStream();
            while (_socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var received = TimeProvider.System.GetUtcNow();
                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                message.SetLength(0);
                if (_measuring && Type(frame) == "message" && frame.TryGetProperty("at", out var at) && at.TryGetDateTimeOffset(out var said))
                {
                    PushLatencies.Add((received - said).TotalMilliseconds);
                }

                lock (_frames)
                {
                    _frames.Add(frame);
                }

                _arrived.Release();
            }
        }

        private static string? Type(JsonElement frame) => Text(frame, "type");

        private static string? Text(JsonElement frame, string name) =>
            frame.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
