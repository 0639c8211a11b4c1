using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// A real headless Chromium: Debian's <c>chromium</c> package (installed with apt-get when <c>/usr/bin/chromium</c> is
/// missing, as the Azurite fixture installs Azurite), driven by Playwright for .NET. Playwright's own browser downloads
/// are never used.
/// </summary>
public sealed class ChromiumFixture(IMessageSink messageSink) : IAsyncLifetime
{
    /// <summary>Where Debian's package puts the browser.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>The running browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = TestTimeout.Start(900);
        if (!File.Exists(ExecutablePath))
        {
            messageSink.OnMessage(new DiagnosticMessage($"{ExecutablePath} is missing; installing Debian's chromium package"));
            await RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update"], timeout.Token);
            await RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "chromium"], timeout.Token);
            Assert.True(File.Exists(ExecutablePath), $"apt-get installed chromium but {ExecutablePath} does not exist.");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,

            // Tests run as root in CI, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        messageSink.OnMessage(new DiagnosticMessage($"Chromium {Browser.Version} started"));
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    private async Task RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var tail = (await output + await error).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(5);
        messageSink.OnMessage(new DiagnosticMessage($"{file} {string.Join(' ', arguments)}: exit {process.ExitCode}"));
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {string.Join(" | ", tail)}");
    }
}
