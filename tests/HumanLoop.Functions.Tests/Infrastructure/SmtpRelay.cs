using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a real SMTP server, on a free port. While it holds, the first message whose data reaches
/// the server has the server's reply withheld: the server stored the mail, and the sender still waits for its
/// "250 OK" (a sender killed now has sent a mail it never learnt was sent). Once released it relays both ways as is.
/// </summary>
internal sealed class SmtpRelay : IAsyncDisposable
{
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private int _holding = 1;
    private readonly TaskCompletionSource _withheld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SmtpRelay(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Completes once a message's data went through and the server's reply to it was withheld.</summary>
    public Task Withheld => _withheld.Task;

    /// <summary>Relays everything from now on, for connections made after this call.</summary>
    public void Release() => Volatile.Write(ref _holding, 0);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(server);
            }

            _ = RelayAsync(client, server, holds: Volatile.Read(ref _holding) == 1);
        }
    }

    private async Task RelayAsync(TcpClient client, TcpClient server, bool holds)
    {
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
            var withhold = new StrongBox<bool>(false);
            var up = PumpAsync(client.GetStream(), server.GetStream(), holds ? withhold : null, watch: true);
            var down = PumpAsync(server.GetStream(), client.GetStream(), withhold, watch: false);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // A side closed, or the relay stopped.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    // Client to server (watch: true) looks for the end of a message's data and, when this connection holds, sets the
    // flag before the data's last bytes go on, so the server cannot reply before the flag is up. Server to client
    // drops what the server says while the flag is up.
    private async Task PumpAsync(NetworkStream from, NetworkStream to, StrongBox<bool>? withhold, bool watch)
    {
        var buffer = new byte[16 * 1024];
        var tail = Array.Empty<byte>();
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            if (watch && withhold is not null && !withhold.Value)
            {
                // The end of the data may straddle two reads: look at the last read's tail joined to this one's head too.
                var chunk = buffer.AsSpan(0, read);
                byte[] joined = [.. tail, .. chunk[..Math.Min(read, EndOfData.Length)]];
                byte[] kept = [.. tail, .. chunk[Math.Max(0, read - EndOfData.Length)..]];
                tail = kept[Math.Max(0, kept.Length - EndOfData.Length)..];
                if (chunk.IndexOf(EndOfData) >= 0 || joined.AsSpan().IndexOf(EndOfData) >= 0)
                {
                    withhold.Value = true;
                    _withheld.TrySetResult();
                }
            }

            if (!watch && withhold is { Value: true })
            {
                continue;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }
}
