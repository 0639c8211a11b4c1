using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Live;
using HumanLoop.Functions.Api;

namespace HumanLoop.Functions.Live;

/// <summary>
/// One WebSocket of the live channel: sends <c>hello</c>, then the run's live log after the client's sequence number
/// and each new entry as it comes; reads the client's <c>answer</c>, <c>resume</c> and <c>ping</c> messages. A message
/// it cannot use (not JSON, not text, too large, an unknown type, missing fields) gets an <c>error</c> frame and the
/// connection stays open. After the run's <c>end</c> the server closes the socket.
/// </summary>
internal sealed partial class LiveSocketSession(
    WebSocket socket,
    HttpContext context,
    string runId,
    RunStatusInfo info,
    IDurableRunClient client,
    LiveFeed feed,
    LiveAnswers answers,
    LiveEndpointOptions options,
    ILogger<LiveSocketSession> logger) : IDisposable
{
    private const int ReceiveChunk = 4096;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);
    private static readonly JsonDocumentOptions Parsing = new() { MaxDepth = JsonBody.MaxDepth };

    private readonly SemaphoreSlim _sending = new(1, 1);
    private CancellationTokenSource? _following;
    private Task _feedTask = Task.CompletedTask;
    private volatile Task _answering = Task.CompletedTask;
    private readonly TimeProvider _time = context.RequestServices.GetRequiredService<TimeProvider>();
    private double _tokens;
    private long _lastRefill;

    /// <summary>Runs the session until either side closes it or the request is aborted.</summary>
    /// <param name="after">The sequence number the client asked to resume after.</param>
    /// <param name="stopping">Cancelled when the host stops: the socket is closed with 1001.</param>
    /// <param name="aborted">The request's abort token.</param>
    public async Task RunAsync(long after, CancellationToken stopping, CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, aborted);
        var cancellationToken = linked.Token;
        try
        {
            var last = await feed.Log.GetLastSequenceAsync(runId, cancellationToken);
            await SendAsync(LiveFrames.Hello(runId, info.Name, info.RuntimeStatus.ToString(), last, after, options.MaxMessageBytes), cancellationToken);
            Follow(after, cancellationToken);
            await ReceiveLoopAsync(cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away (or broke the protocol so the socket failed): nothing to tell it. Or the host stops.
            LogClosed(logger, runId, e.Message);
            if (stopping.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                using var bounded = new CancellationTokenSource(CloseWait);
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down; reconnect.", bounded.Token);
                }
                catch (Exception closing) when (closing is WebSocketException or OperationCanceledException)
                {
                    socket.Abort();
                }
            }
        }
        finally
        {
            if (_following is { } following)
            {
                await following.CancelAsync();
            }

            await _feedTask.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _following?.Dispose();
        _sending.Dispose();
    }

    private void Follow(long after, CancellationToken cancellationToken)
    {
        _following = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = _following.Token;
        _feedTask = Task.Run(() => FeedAsync(after, token), CancellationToken.None);
    }

    private async Task FeedAsync(long after, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var entry in feed.FollowAsync(runId, after, cancellationToken))
            {
                await SendAsync(LiveFrames.Entry(entry), cancellationToken);
                if (entry.Type == LiveEntryType.End)
                {
                    // An answer still on its way gets its ack before the close (the run's end may be that answer's doing).
                    await Task.WhenAny(_answering, Task.Delay(CloseWait, _time, cancellationToken));
                    await _sending.WaitAsync(cancellationToken);
                    try
                    {
                        if (socket.State == WebSocketState.Open)
                        {
                            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "The run has ended.", cancellationToken);

                            // A client that does not answer the close is not waited for long.
                            _ = AbortUnlessClosedAsync();
                        }
                    }
                    finally
                    {
                        _sending.Release();
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // A resume replaced this feed, or the socket closed.
        }
    }

    private async Task AbortUnlessClosedAsync()
    {
        await Task.Delay(CloseWait, _time).ConfigureAwait(false);
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            // An idle connection waits with a zero-byte receive: it holds no buffer until a message starts.
            var result = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await AnswerCloseAsync(cancellationToken);
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
            ArrayBufferWriter<byte>? parts = null;
            try
            {
                var length = 0;
                var tooLarge = false;
                while (!result.EndOfMessage)
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await AnswerCloseAsync(cancellationToken);
                        return;
                    }

                    length += result.Count;
                    if (tooLarge || (parts?.WrittenCount ?? 0) + length > options.MaxMessageBytes)
                    {
                        // Read to the message's end and drop it: the connection stays usable.
                        tooLarge = true;
                        parts?.Clear();
                        length = 0;
                    }
                    else if (length == buffer.Length && !result.EndOfMessage)
                    {
                        // A message longer than one buffer is gathered (the buffer is pooled, the gathering is not).
                        parts ??= new ArrayBufferWriter<byte>(2 * ReceiveChunk);
                        parts.Write(buffer.AsSpan(0, length));
                        length = 0;
                    }
                }

                if (!TakeToken(out var retryAfter))
                {
                    await SendAsync(
                        LiveFrames.Error(
                            "rate_limited",
                            StatusCodes.Status429TooManyRequests,
                            $"At most {options.MaxMessagesPerSecond} messages a second; this one was dropped. Send it again after {retryAfter.TotalMilliseconds:F0} ms.",
                            extra: [new("retryAfterMs", (long)Math.Ceiling(retryAfter.TotalMilliseconds))]),
                        cancellationToken);
                }
                else if (tooLarge)
                {
                    await SendAsync(LiveFrames.Error("too_large", StatusCodes.Status413PayloadTooLarge, $"A message may have at most {options.MaxMessageBytes} bytes; it was dropped."), cancellationToken);
                }
                else if (result.MessageType != WebSocketMessageType.Text)
                {
                    await SendAsync(LiveFrames.Error("not_text", StatusCodes.Status415UnsupportedMediaType, "Messages are JSON text; binary messages are not read."), cancellationToken);
                }
                else if (parts is null)
                {
                    await HandleAsync(buffer.AsMemory(0, length), cancellationToken);
                }
                else
                {
                    parts.Write(buffer.AsSpan(0, length));
                    await HandleAsync(parts.WrittenMemory, cancellationToken);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // A token bucket per connection: MaxMessagesPerSecond tokens a second, up to twice that in hand.
    private bool TakeToken(out TimeSpan retryAfter)
    {
        var rate = (double)options.MaxMessagesPerSecond;
        var capacity = 2 * rate;
        var now = _time.GetTimestamp();
        _tokens = _lastRefill == 0 ? capacity : Math.Min(capacity, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * rate));
        _lastRefill = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / rate);
        return false;
    }

    private async Task AnswerCloseAsync(CancellationToken cancellationToken)
    {
        if (socket.State == WebSocketState.CloseReceived)
        {
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
            }
            finally
            {
                _sending.Release();
            }
        }
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, Parsing);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var depth = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            await SendAsync(
                LiveFrames.Error(
                    "malformed_json",
                    StatusCodes.Status400BadRequest,
                    depth ? $"The message nests arrays and objects more than {JsonBody.MaxDepth} levels deep." : "The message is not JSON (or not UTF-8): " + e.Message),
                cancellationToken);
            return;
        }

        if (JsonText.FindInvalid(root) is { } invalid)
        {
            await SendAsync(LiveFrames.Error("invalid_text", StatusCodes.Status400BadRequest, invalid.Problem, extra: [new("path", invalid.Path)]), cancellationToken);
            return;
        }

        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        switch (type)
        {
            case "answer":
                var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _answering = answered.Task;
                try
                {
                    await AnswerAsync(root, cancellationToken);
                }
                finally
                {
                    answered.TrySetResult();
                }

                break;
            case "resume":
                await ResumeAsync(root, cancellationToken);
                break;
            case "ping":
                await SendAsync(LiveFrames.Pong(root.TryGetProperty("nonce", out var nonce) && nonce.ValueKind == JsonValueKind.String ? nonce.GetString() : null), cancellationToken);
                break;
            case null:
                await SendAsync(LiveFrames.Error("bad_message", StatusCodes.Status400BadRequest, "A message is a JSON object with a string 'type': answer, resume or ping."), cancellationToken);
                break;
            default:
                await SendAsync(LiveFrames.Error("unknown_type", StatusCodes.Status400BadRequest, $"Unknown message type '{(type.Length > 40 ? type[..40] + "…" : type)}'; the client sends answer, resume or ping."), cancellationToken);
                break;
        }
    }

    private async Task AnswerAsync(JsonElement message, CancellationToken cancellationToken)
    {
        var id = message.TryGetProperty("clientMessageId", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        if (id is null || id.Length is 0 or > LiveAnswers.MaxClientMessageIdLength || id.Any(ch => ch is < '!' or > '~'))
        {
            await SendAsync(LiveFrames.Error("bad_message", StatusCodes.Status400BadRequest, $"An answer needs a 'clientMessageId' of 1 to {LiveAnswers.MaxClientMessageIdLength} printable ASCII characters (no spaces)."), cancellationToken);
            return;
        }

        var requestId = message.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        if (string.IsNullOrWhiteSpace(requestId) || requestId.Length > 300)
        {
            await SendAsync(LiveFrames.Error("bad_message", StatusCodes.Status400BadRequest, "An answer needs a 'requestId': the id of the prompt it answers, or its human node's name.", id), cancellationToken);
            return;
        }

        if (!message.TryGetProperty("value", out var value))
        {
            await SendAsync(LiveFrames.Error("bad_message", StatusCodes.Status400BadRequest, "An answer needs a 'value'.", id), cancellationToken);
            return;
        }

        byte[] reply;
        try
        {
            reply = await answers.AnswerAsync(context, client, runId, requestId, value.Clone(), id, cancellationToken);
        }
        catch (Azure.RequestFailedException e)
        {
            LogAnswerFailed(logger, e, runId);
            reply = LiveFrames.Error("unavailable", StatusCodes.Status503ServiceUnavailable, "Storage did not answer; send the answer again with the same clientMessageId.", id);
        }

        await SendAsync(reply, cancellationToken);
    }

    private async Task ResumeAsync(JsonElement message, CancellationToken cancellationToken)
    {
        if (!message.TryGetProperty("after", out var a) || a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out var after) || after < 0)
        {
            await SendAsync(LiveFrames.Error("bad_message", StatusCodes.Status400BadRequest, "A resume needs 'after': the last sequence number the client has (0 or more)."), cancellationToken);
            return;
        }

        // The entries after 'after' come again from storage, in order; the old feed stops first, so none is sent twice.
        if (_following is { } previous)
        {
            await previous.CancelAsync();
            await _feedTask.ContinueWith(_ => { }, TaskScheduler.Default);
            previous.Dispose();
        }

        Follow(after, cancellationToken);
    }

    private async Task SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Run {RunId}: a live connection closed ({Reason})")]
    private static partial void LogClosed(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Run {RunId}: a live answer could not reach storage")]
    private static partial void LogAnswerFailed(ILogger logger, Exception exception, string runId);
}
