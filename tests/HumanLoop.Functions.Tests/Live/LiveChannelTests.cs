using System.Net.Http.Headers;
using System.Net.WebSockets;
using HumanLoop.Functions.Samples;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Live;

/// <summary>The live channel end to end: the real app on Kestrel, the real engine on a real Azurite, a real WebSocket.</summary>
public sealed class LiveChannelTests(HumanLoopAppFixture app) : IClassFixture<HumanLoopAppFixture>
{
    private const string AccountOptions = "existing, new";

    [Fact]
    public async Task WebSocket_SupportChat_RepromptsInPlace_StreamsTheReply_AndEnds()
    {
        using var timeout = TestTimeout.Start(180);
        var runId = await StartChatAsync(timeout.Token);
        await using var live = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);

        var hello = await live.WaitForTypeAsync("hello", timeout.Token);
        Assert.Equal((1, SupportChatGraph.Name), (hello.GetProperty("protocol").GetInt32(), LiveSocket.Text(hello, "graph")));
        await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "text") == "Hi! I'm the password-reset assistant.");
        var account = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");
        Assert.Equal("Choice", LiveSocket.Text(account, "kind"));
        Assert.Equal(["existing", "new"], account.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        var accountId = LiveSocket.Text(account, "requestId")!;

        // Unmappable: refused in place with the allowed options, and the request stays open.
        await live.AnswerAsync(accountId, "bananas", "c1", timeout.Token);
        var rejected = await live.WaitForTypeAsync("ack", timeout.Token, f => LiveSocket.Text(f, "clientMessageId") == "c1");
        Assert.Equal("Rejected", LiveSocket.Text(rejected, "outcome"));
        var invalid = await live.WaitForTypeAsync("invalid", timeout.Token);
        Assert.Equal(accountId, LiveSocket.Text(invalid, "requestId"));
        Assert.Equal($"'bananas' is not one of the allowed choices: {AccountOptions}.", LiveSocket.Text(invalid, "message"));

        // Free-form, mapped onto the options.
        await live.AnswerAsync(accountId, "I have an existing account", "c2", timeout.Token);
        Assert.Equal("Accepted", LiveSocket.Text(await live.WaitForTypeAsync("ack", timeout.Token, f => LiveSocket.Text(f, "clientMessageId") == "c2"), "outcome"));
        var accepted = await live.WaitForTypeAsync("accepted", timeout.Token, f => LiveSocket.Text(f, "requestId") == accountId);
        Assert.Equal(("existing", "chat"), (accepted.GetProperty("answer").GetString(), LiveSocket.Text(accepted, "channel")));

        var username = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "username");
        Assert.Equal(SupportChatGraph.UsernamePattern, username.GetProperty("details").GetProperty("pattern").GetString());
        var usernameId = LiveSocket.Text(username, "requestId")!;
        await live.AnswerAsync(usernameId, "a b", "c3", timeout.Token);
        var badName = await live.WaitForTypeAsync("invalid", timeout.Token, f => LiveSocket.Text(f, "requestId") == usernameId);
        Assert.StartsWith("The answer must be a username of 3 to 32", LiveSocket.Text(badName, "message"), StringComparison.Ordinal);
        await live.AnswerAsync(usernameId, "alice.smith", "c4", timeout.Token);

        // The reply streams in chunks of one message, then comes whole.
        var reply = await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "node") == "reply");
        var text = LiveSocket.Text(reply, "text")!;
        Assert.Contains("password reset link", text, StringComparison.Ordinal);
        Assert.Contains("alice.smith", text, StringComparison.Ordinal);
        var chunks = live.Frames.Where(f => LiveSocket.Type(f) == "chunk" && LiveSocket.Text(f, "messageId") == LiveSocket.Text(reply, "messageId")).ToList();
        Assert.True(chunks.Count >= 2, $"The reply came in {chunks.Count} chunk(s).");
        Assert.Equal(text, string.Concat(chunks.Select(c => LiveSocket.Text(c, "text"))));

        var more = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");
        await live.AnswerAsync(LiveSocket.Text(more, "requestId")!, "done", "c5", timeout.Token);
        await live.WaitForTypeAsync("message", timeout.Token, f => LiveSocket.Text(f, "text") == "Glad I could help, alice.smith. Goodbye!");
        var end = await live.WaitForTypeAsync("end", timeout.Token);
        Assert.Equal("Completed", LiveSocket.Text(end, "status"));
        Assert.True(end.GetProperty("output").GetProperty("done").GetBoolean());

        // One gapless sequence, in order.
        var sequence = live.Sequenced.Select(f => f.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, sequence.Count).Select(i => (long)i), sequence);

        // The answers' order in the stream: the refusal, then the acceptance, before the next question.
        var order = live.Sequenced.Select(f => $"{LiveSocket.Type(f)}:{LiveSocket.Text(f, "node") ?? LiveSocket.Text(f, "requestId")?.Split(':')[1]}").ToList();
        Assert.True(order.IndexOf("invalid:account") < order.IndexOf("accepted:account") && order.IndexOf("accepted:account") < order.IndexOf("prompt:username"), string.Join(", ", order));
    }

    [Fact]
    public async Task WebSocket_ReconnectWithTheLastSequence_GetsExactlyWhatWasMissed_FromAnyChannel()
    {
        using var timeout = TestTimeout.Start(180);
        var runId = await StartChatAsync(timeout.Token);
        long last;
        await using (var first = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token))
        {
            await first.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");
            last = first.Sequenced[^1].GetProperty("seq").GetInt64();
            first.Abort();
        }

        // While the client is away, answers come through the HTTP API.
        await RespondAsync(runId, "account", "new", timeout.Token);
        await RespondAsync(runId, "username", "new.user", timeout.Token);

        await using var again = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, after: last);
        Assert.Equal(last, (await again.WaitForTypeAsync("hello", timeout.Token)).GetProperty("after").GetInt64());
        await again.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");
        var accepted = again.Frames.Where(f => LiveSocket.Type(f) == "accepted").Select(f => (f.GetProperty("answer").GetString(), LiveSocket.Text(f, "channel"))).ToList();
        Assert.Equal([("new", "http"), ("new.user", "http")], accepted);

        // Exactly the tail of the full log: nothing missing, nothing repeated.
        await using var full = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token, after: 0);
        await full.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");
        var resumed = again.Sequenced.Select(f => f.GetRawText()).ToList();
        Assert.Equal(full.Sequenced.Where(f => f.GetProperty("seq").GetInt64() > last).Select(f => f.GetRawText()).Take(resumed.Count), resumed);
        Assert.Equal(last + 1, again.Sequenced[0].GetProperty("seq").GetInt64());

        // A resume message within the connection repositions it the same way.
        await again.SendAsync($$"""{"type":"resume","after":{{last}}}""", timeout.Token);
        var count = again.Frames.Count;
        await again.WaitForAsync(f => f.TryGetProperty("seq", out var s) && s.GetInt64() == last + 1, timeout.Token, skip: count);
    }

    [Fact]
    public async Task WebSocket_DuplicateClientMessageId_IsAppliedOnce()
    {
        using var timeout = TestTimeout.Start(180);
        var runId = await StartChatAsync(timeout.Token);
        await using var live = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);
        var account = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");
        var accountId = LiveSocket.Text(account, "requestId")!;

        await live.AnswerAsync(accountId, "new", "same-id", timeout.Token);
        Assert.Equal("Accepted", LiveSocket.Text(await live.WaitForTypeAsync("ack", timeout.Token), "outcome"));
        await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "username");
        var acks = live.Frames.Count(f => LiveSocket.Type(f) == "ack");
        await live.AnswerAsync(accountId, "new", "same-id", timeout.Token);
        var second = await live.WaitForAsync(f => LiveSocket.Type(f) is "ack" or "error", timeout.Token, skip: live.Frames.ToList().FindLastIndex(f => LiveSocket.Type(f) == "ack") + 1);
        Assert.Equal("Duplicate", LiveSocket.Text(second, "outcome"));
        Assert.Equal(acks + 1, live.Frames.Count(f => LiveSocket.Type(f) == "ack"));

        // Another new id for the answered request is refused as already answered, with the recorded answer.
        await live.AnswerAsync(accountId, "existing", "other-id", timeout.Token);
        var refused = await live.WaitForTypeAsync("error", timeout.Token, f => LiveSocket.Text(f, "clientMessageId") == "other-id");
        Assert.Equal(("already_answered", 409, "new"), (LiveSocket.Text(refused, "code"), refused.GetProperty("status").GetInt32(), refused.GetProperty("answer").GetString()));

        var username = await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "username");
        await live.AnswerAsync(LiveSocket.Text(username, "requestId")!, "someone", "c9", timeout.Token);
        await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "more");
        Assert.Single(live.Frames, f => LiveSocket.Type(f) == "accepted" && LiveSocket.Text(f, "requestId") == accountId);
        Assert.Single(live.Frames, f => LiveSocket.Type(f) == "prompt" && LiveSocket.Text(f, "node") == "username");
        var (_, status) = await app.Client.GetStatusAsync(runId, timeout.Token, "?showHistory=true");
        Assert.Single(status.GetProperty("historyEvents").EnumerateArray(), e => Property(e, "EventType") == "InputAccepted" && Property(e, "RequestId") == accountId);

        static string? Property(JsonElement e, string name) =>
            e.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
    }

    [Fact]
    public async Task WebSocket_AFloodOfMessages_IsRateLimitedPerConnection_WithRetryAfter_AndTheConnectionStaysUsable()
    {
        using var timeout = TestTimeout.Start(120);
        var runId = await StartChatAsync(timeout.Token);
        await using var live = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);
        await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");

        // 60 pings at once: a burst of 20 (twice the default 10 a second) and what refills meanwhile are answered, the rest refused.
        var before = live.Frames.Count;
        for (var i = 0; i < 60; i++)
        {
            await live.SendAsync($$"""{"type":"ping","nonce":"p{{i}}"}""", timeout.Token);
        }

        await live.WaitForAsync(_ => live.Frames.Count - before >= 60, timeout.Token, skip: before);
        var replies = live.Frames.Skip(before).Where(f => LiveSocket.Type(f) is "pong" or "error").Take(60).ToList();
        var limited = replies.Where(f => LiveSocket.Type(f) == "error").ToList();
        Assert.All(limited, f => Assert.Equal(("rate_limited", 429), (LiveSocket.Text(f, "code"), f.GetProperty("status").GetInt32())));
        Assert.InRange(replies.Count(f => LiveSocket.Type(f) == "pong"), 20, 59);
        Assert.NotEmpty(limited);
        var retryAfter = limited[^1].GetProperty("retryAfterMs").GetInt64();
        Assert.InRange(retryAfter, 1, 100);

        // After the wait the server named, the same connection is answered again.
        await Task.Delay(TimeSpan.FromMilliseconds(retryAfter), timeout.Token);
        var count = live.Frames.Count;
        await live.SendAsync("""{"type":"ping","nonce":"after"}""", timeout.Token);
        Assert.Equal("after", LiveSocket.Text(await live.WaitForTypeAsync("pong", timeout.Token, skip: count), "nonce"));
    }

    [Fact]
    public async Task WebSocket_HostileMessages_GetErrorFrames_TheConnectionAndServerKeepWorking()
    {
        using var timeout = TestTimeout.Start(120);
        var runId = await StartChatAsync(timeout.Token);
        await using var live = await LiveSocket.ConnectAsync(app.BaseAddress, runId, timeout.Token);
        await live.WaitForTypeAsync("prompt", timeout.Token, f => LiveSocket.Text(f, "node") == "account");

        var cases = new (string Send, string Code)[]
        {
            ("{not json", "malformed_json"),
            ("""{"type":"answer","requestId":"account","value":"\ud800","clientMessageId":"x1"}""", "invalid_text"),
            ("""{"type":"dance"}""", "unknown_type"),
            ("""["answer"]""", "bad_message"),
            ("""{"type":"answer","requestId":"account","value":"new"}""", "bad_message"),
            ("""{"type":"answer","requestId":"account","clientMessageId":"x2"}""", "bad_message"),
            ("""{"type":"resume","after":-3}""", "bad_message"),
            (new string('[', 40) + new string(']', 40), "malformed_json"),
            ("""{"type":"answer","requestId":"nope","value":"new","clientMessageId":"x3"}""", "not_found"),
        };
        foreach (var (send, code) in cases)
        {
            var before = live.Frames.Count;
            await live.SendAsync(send, timeout.Token);
            var error = await live.WaitForAsync(f => LiveSocket.Type(f) == "error", timeout.Token, skip: before);
            Assert.True(code == LiveSocket.Text(error, "code"), $"{send[..Math.Min(40, send.Length)]}: {error}");
            Assert.False(string.IsNullOrEmpty(LiveSocket.Text(error, "message")));
        }

        var count = live.Frames.Count;
        await live.SendAsync("{\"type\":\"answer\",\"requestId\":\"account\",\"value\":\"" + new string('x', 70_000) + "\",\"clientMessageId\":\"big\"}", timeout.Token);
        Assert.Equal("too_large", LiveSocket.Text(await live.WaitForTypeAsync("error", timeout.Token, skip: count), "code"));
        count = live.Frames.Count;

        // Longer than the server's receive buffer, within the limit: gathered whole, then read (an unknown type here).
        await live.SendAsync("{\"type\":\"dance\",\"pad\":\"" + new string('y', 20_000) + "\"}", timeout.Token);
        Assert.Equal("unknown_type", LiveSocket.Text(await live.WaitForTypeAsync("error", timeout.Token, skip: count), "code"));
        count = live.Frames.Count;
        await live.SendBytesAsync([1, 2, 3], WebSocketMessageType.Binary, timeout.Token);
        Assert.Equal("not_text", LiveSocket.Text(await live.WaitForTypeAsync("error", timeout.Token, skip: count), "code"));

        count = live.Frames.Count;
        await live.SendAsync("""{"type":"ping","nonce":"n-1"}""", timeout.Token);
        Assert.Equal("n-1", LiveSocket.Text(await live.WaitForTypeAsync("pong", timeout.Token, skip: count), "nonce"));

        // Nothing hostile reached the run: it still waits for the first answer, and the server answers HTTP.
        Assert.EndsWith(":account:1", await app.Client.WaitForOpenRequestAsync(runId, timeout.Token), StringComparison.Ordinal);
        var (code2, body) = await app.Client.GetStatusAsync(runId, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, code2);
        Assert.True(!body.GetProperty("customStatus").TryGetProperty("outcomes", out var outcomes) || outcomes.GetArrayLength() == 0, body.ToString());
    }

    [Fact]
    public async Task Upgrade_ForeignOriginUnknownRunOrPlainGet_IsRefusedWithProblems()
    {
        using var timeout = TestTimeout.Start(120);
        var runId = await StartChatAsync(timeout.Token);

        using var foreign = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/live");
        foreign.Headers.Add("Origin", "http://evil.example");
        foreign.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var refused = await app.Client.SendAsync(foreign, timeout.Token);
        var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, timeout.Token);
        Assert.Contains("http://evil.example", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{app.BaseAddress.Authority}/api/runs/{runId}/live"), timeout.Token));
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        socket.Dispose();

        using var unknown = await app.Client.GetAsync("/api/runs/no-such-run/live", timeout.Token);
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, timeout.Token);
        using var plain = await app.Client.GetAsync($"/api/runs/{runId}/live", timeout.Token);
        await ApiClient.AssertProblemAsync(plain, HttpStatusCode.BadRequest, timeout.Token);
        using var badResume = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/live");
        badResume.Headers.Add("Last-Event-ID", "seven");
        badResume.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var bad = await app.Client.SendAsync(badResume, timeout.Token);
        await ApiClient.AssertProblemAsync(bad, HttpStatusCode.BadRequest, timeout.Token);
    }

    [Fact]
    public async Task ServerSentEvents_ResumeWithLastEventId_GetsExactlyWhatWasMissed()
    {
        using var timeout = TestTimeout.Start(180);
        var runId = await StartChatAsync(timeout.Token);
        var first = await ReadEventsAsync(runId, null, events => events.Any(e => e.Name == "prompt" && e.Data.GetProperty("node").GetString() == "account"), timeout.Token);
        Assert.Equal("hello", first[0].Name);
        Assert.Null(first[0].Id);
        var lastId = first.Last(e => e.Id is not null).Id!.Value;
        Assert.Equal(Enumerable.Range(1, (int)lastId).Select(i => (long?)i), first.Where(e => e.Id is not null).Select(e => e.Id));

        await RespondAsync(runId, "account", "existing", timeout.Token);
        var resumed = await ReadEventsAsync(runId, lastId, events => events.Any(e => e.Name == "prompt" && e.Data.GetProperty("node").GetString() == "username"), timeout.Token);

        var sequenced = resumed.Where(e => e.Id is not null).ToList();
        Assert.Equal(lastId + 1, sequenced[0].Id);
        Assert.Equal(Enumerable.Range((int)lastId + 1, sequenced.Count).Select(i => (long?)i), sequenced.Select(e => e.Id));
        var accepted = Assert.Single(sequenced, e => e.Name == "accepted");
        Assert.Equal(("existing", "http"), (accepted.Data.GetProperty("answer").GetString(), accepted.Data.GetProperty("channel").GetString()));
        Assert.All(sequenced, e => Assert.Equal(e.Id, e.Data.GetProperty("seq").GetInt64()));
    }

    private async Task<string> StartChatAsync(CancellationToken cancellationToken)
    {
        var id = ApiClient.NewId("chat");
        using var response = await app.Client.StartAsync(SupportChatGraph.Name, id, null, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return id;
    }

    private async Task RespondAsync(string runId, string node, string answer, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await app.Client.PostAsync(
                $"/api/runs/{runId}/requests/{node}/respond",
                ApiClient.Json(JsonSerializer.Serialize(new Dictionary<string, string> { ["answer"] = answer, ["messageId"] = $"{node}-{answer}" })),
                cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            // The request has not opened yet (the node before it is still running): the answer is kept, then applied.
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<List<(string Name, long? Id, JsonElement Data)>> ReadEventsAsync(string runId, long? lastEventId, Func<List<(string Name, long? Id, JsonElement Data)>, bool> until, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/live");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await app.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var events = new List<(string Name, long? Id, JsonElement Data)>();
        string? name = null;
        long? eventId = null;
        string? data = null;
        while (!until(events) && await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null && data is not null)
                {
                    events.Add((name, eventId, JsonDocument.Parse(data).RootElement.Clone()));
                }

                (name, eventId, data) = (null, null, null);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                eventId = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        return events;
    }
}
