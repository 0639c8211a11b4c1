using System.Net.WebSockets;

namespace HumanLoop.Functions.Tests.Live;

/// <summary>A test client of the live WebSocket: keeps every frame it receives, in order, and waits on conditions over them.</summary>
internal sealed class LiveSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly List<JsonElement> _frames = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _receiving;

    private LiveSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Every frame so far.</summary>
    public IReadOnlyList<JsonElement> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>The sequenced frames so far.</summary>
    public IReadOnlyList<JsonElement> Sequenced => [.. Frames.Where(f => f.TryGetProperty("seq", out _))];

    /// <summary>How the server closed, once it has.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<LiveSocket> ConnectAsync(Uri baseAddress, string runId, CancellationToken cancellationToken, long? after = null, Action<ClientWebSocketOptions>? configure = null, string query = "")
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        var uri = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = $"/api/runs/{Uri.EscapeDataString(runId)}/live" };
        var parts = new List<string>();
        if (after is { } a)
        {
            parts.Add($"after={a}");
        }

        if (query.Length > 0)
        {
            parts.Add(query);
        }

        uri.Query = string.Join('&', parts);
        await socket.ConnectAsync(uri.Uri, cancellationToken);
        return new LiveSocket(socket);
    }

    public Task SendAsync(string json, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellationToken);

    public Task SendBytesAsync(byte[] bytes, WebSocketMessageType type, CancellationToken cancellationToken) =>
        _socket.SendAsync(bytes, type, true, cancellationToken);

    public Task AnswerAsync(string requestId, object? value, string clientMessageId, CancellationToken cancellationToken) =>
        SendAsync(JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = "answer", ["requestId"] = requestId, ["value"] = value, ["clientMessageId"] = clientMessageId }), cancellationToken);

    /// <summary>Waits until a frame after the first <paramref name="skip"/> matches; returns it.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, CancellationToken cancellationToken, int skip = 0)
    {
        while (true)
        {
            var frames = Frames;
            var found = frames.Skip(skip).Where(match).ToList();
            if (found.Count > 0)
            {
                return found[0];
            }

            if (_receiving.IsCompleted && Frames.Count == frames.Count)
            {
                throw new InvalidOperationException($"The socket closed ({_socket.CloseStatus}) before a matching frame came. Frames: {string.Join("\n", frames)}");
            }

            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    public Task<JsonElement> WaitForTypeAsync(string type, CancellationToken cancellationToken, Func<JsonElement, bool>? and = null, int skip = 0) =>
        WaitForAsync(f => Type(f) == type && (and?.Invoke(f) ?? true), cancellationToken, skip);

    public static string? Type(JsonElement frame) => frame.GetProperty("type").GetString();

    public static string? Text(JsonElement frame, string name) => frame.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
        }
    }

    /// <summary>Drops the connection without a close handshake, as a lost network does.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving.ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _arrived.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (_socket.State == WebSocketState.Open || _socket.State == WebSocketState.CloseSent)
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
                // Completes the server's close handshake, as browsers do.
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
                {
                }

                return;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                message.SetLength(0);
                lock (_frames)
                {
                    _frames.Add(frame);
                }

                _arrived.Release();
            }
        }
    }
}
