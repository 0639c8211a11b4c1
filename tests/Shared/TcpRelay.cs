using System.Net.Sockets;

namespace HumanLoop.Testing;

/// <summary>
/// A TCP relay in front of a server (the app, a mail server), so a test can cut every connection at once, as a dropped
/// network does (new connections are relayed again at once), or refuse connections for a while, as a server that is
/// down does. Shared by the test projects.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly System.Net.IPEndPoint _target;
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _accepted;
    private int _refusing;

    public TcpRelay(Uri target)
    {
        _target = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The relay's address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address => new($"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Gets or sets whether new connections are closed as soon as they are accepted, as by a server that is down.</summary>
    public bool Refusing
    {
        get => Volatile.Read(ref _refusing) != 0;
        set => Volatile.Write(ref _refusing, value ? 1 : 0);
    }

    /// <summary>How many connections it has relayed.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Cuts every open connection.</summary>
    public void DropAll()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                try
                {
                    // A reset, not a graceful close: the peer sees the connection break.
                    client.Client?.LingerState = new LingerOption(true, 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                client.Dispose();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Refusing)
            {
                inbound.Client.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                continue;
            }

            Interlocked.Increment(ref _accepted);
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
