using System.Diagnostics;
using System.Net.Sockets;
using MimeKit;

namespace HumanLoop.Testing;

/// <summary>
/// A real SMTP server for tests: the repository's pinned smtp4dev (<c>.config/dotnet-tools.json</c>), restored with
/// <c>dotnet tool restore</c> and started on free SMTP and web ports with an in-memory database. <see cref="StartAsync(IReadOnlyList{string}, CancellationToken)"/>
/// returns once both ports answer; messages are read through its REST API (<c>/api/messages</c>). Shared by the test projects.
/// </summary>
internal sealed class Smtp4dev : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output;

    private Smtp4dev(Process process, System.Text.StringBuilder output, int smtpPort, int webPort)
    {
        _process = process;
        _output = output;
        SmtpPort = smtpPort;
        WebPort = webPort;
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}/") };
    }

    public int SmtpPort { get; }

    public int WebPort { get; }

    public HttpClient Api { get; }

    public static Task<Smtp4dev> StartAsync(CancellationToken cancellationToken) => StartAsync([], cancellationToken);

    /// <summary>Starts a server with further smtp4dev options, such as <c>--tlsmode=StartTls</c> or <c>--user=name=password</c>.</summary>
    public static async Task<Smtp4dev> StartAsync(IReadOnlyList<string> options, CancellationToken cancellationToken)
    {
        var root = FindRepositoryRoot();
        await RunToEndAsync(root, ["tool", "restore"], cancellationToken);

        int smtpPort = FreePort(), webPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "tool", "run", "smtp4dev", "--",
            $"--smtpport={smtpPort}", $"--urls=http://127.0.0.1:{webPort}", "--db=", "--imapport=", "--pop3port=",
            "--nousersettings", "--hostname=localhost", "--messagestokeep=1000",
        }.Concat(options))
        {
            start.ArgumentList.Add(argument);
        }

        var output = new System.Text.StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("smtp4dev did not start.");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Smtp4dev(process, output, smtpPort, webPort);
        try
        {
            await server.WaitUntilAnsweringAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The messages received so far, newest first.</summary>
    public async Task<IReadOnlyList<MessageSummary>> ListAsync(CancellationToken cancellationToken)
    {
        using var document = System.Text.Json.JsonDocument.Parse(await Api.GetStringAsync("api/messages?pageSize=1000", cancellationToken));
        return [.. document.RootElement.GetProperty("results").EnumerateArray().Select(m => new MessageSummary(
            m.GetProperty("id").GetString()!,
            m.GetProperty("subject").GetString() ?? string.Empty,
            [.. m.GetProperty("to").EnumerateArray().Select(t => t.GetString()!)]))];
    }

    /// <summary>The messages to <paramref name="address"/>.</summary>
    public async Task<IReadOnlyList<MessageSummary>> ListToAsync(string address, CancellationToken cancellationToken) =>
        [.. (await ListAsync(cancellationToken)).Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase))];

    /// <summary>Waits until <paramref name="address"/> has received at least <paramref name="count"/> messages, and returns them.</summary>
    public async Task<IReadOnlyList<MessageSummary>> WaitForAsync(string address, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var messages = await ListToAsync(address, cancellationToken);
            if (messages.Count >= count)
            {
                return messages;
            }

            // A poll of the server's stored messages, not synchronization: the condition is re-checked each time.
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The whole message as received, parsed by MimeKit (the raw source, not smtp4dev's sanitised rendering).</summary>
    public async Task<MimeMessage> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var source = await Api.GetStreamAsync($"api/messages/{id}/raw", cancellationToken);
        using var buffer = new MemoryStream();
        await source.CopyToAsync(buffer, cancellationToken);
        buffer.Position = 0;
        return await MimeMessage.LoadAsync(buffer, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (TimeoutException)
        {
            // Left to the OS.
        }

        _process.Dispose();
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"smtp4dev exited with code {_process.ExitCode}:{Environment.NewLine}{Tail()}");
            }

            try
            {
                using var response = await Api.GetAsync("api/messages?pageSize=1", deadline.Token);
                if (response.StatusCode == System.Net.HttpStatusCode.OK)
                {
                    using var smtp = new TcpClient();
                    await smtp.ConnectAsync(System.Net.IPAddress.Loopback, SmtpPort, deadline.Token);
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (SocketException)
            {
                // As above.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"smtp4dev did not answer on ports {SmtpPort}/{WebPort} within 120 s:{Environment.NewLine}{Tail()}");
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"smtp4dev did not answer on ports {SmtpPort}/{WebPort} within 120 s:{Environment.NewLine}{Tail()}");
            }
        }
    }

    private string Tail()
    {
        lock (_output)
        {
            var text = _output.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    private static void Append(System.Text.StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static async Task RunToEndAsync(string root, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'dotnet {string.Join(' ', arguments)}' failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No .config/dotnet-tools.json above the test's folder: the repository's tools are not found.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A message as smtp4dev lists it.</summary>
internal sealed record MessageSummary(string Id, string Subject, IReadOnlyList<string> To);
