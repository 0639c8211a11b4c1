using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HumanLoop.Durable.Azurite;

/// <summary>Checks that a port accepts TCP connections and answers an HTTP request, and finds free ports.</summary>
internal static class AzuritePortProbe
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    // No proxy: a developer's HTTP(S)_PROXY must not intercept requests to 127.0.0.1.
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = ProbeTimeout,
        PooledConnectionLifetime = TimeSpan.FromSeconds(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Returns whether <paramref name="port"/> on 127.0.0.1 accepts a connection and answers HTTP with any status.</summary>
    public static async Task<bool> IsAnsweringAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            }

            var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/devstoreaccount1?comp=list"));
            using var response = await Http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);

            // Any status will do (an unauthenticated request gets 400/403): the server is up.
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Returns whether every port answers.</summary>
    public static async Task<bool> AreAnsweringAsync(IEnumerable<int> ports, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(ports.Select(p => IsAnsweringAsync(p, cancellationToken)));
        return results.All(r => r);
    }

    /// <summary>
    /// Returns <paramref name="count"/> distinct free loopback ports: all are bound to port 0 at once (so the
    /// operating system hands out distinct ports), then released for Azurite to take.
    /// </summary>
    public static int[] FindFreePorts(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
