using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Azurite;

/// <summary>Finds the package.json that pins Azurite and installs it with npm when node_modules lacks it.</summary>
internal static partial class AzuriteInstallation
{
    private const string PackageJson = "package.json";
    private const string PackageLock = "package-lock.json";

    // Serialises installs within this process; the lock file serialises them across processes.
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>Returns the path of <c>node_modules/.bin/azurite</c> (<c>azurite.cmd</c> on Windows) under <paramref name="root"/>.</summary>
    public static string ExecutablePath(string root) =>
        Path.Combine(root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");

    /// <summary>
    /// Returns the folder that holds the package.json depending on <c>azurite</c>: <paramref name="explicitRoot"/>
    /// when given, otherwise the nearest one walking up from the app's base directory, then the current directory.
    /// </summary>
    public static string FindPackageRoot(string? explicitRoot)
    {
        if (explicitRoot is not null)
        {
            var root = Path.GetFullPath(explicitRoot);
            if (DependsOnAzurite(root) || File.Exists(ExecutablePath(root)))
            {
                return root;
            }

            throw new AzuriteStartException(
                $"'{root}' has no package.json with an 'azurite' dependency and no node_modules/.bin/azurite. " +
                "Point AzuriteOptions.RepositoryRoot at the repository root.");
        }

        var starts = new[] { AppContext.BaseDirectory, Environment.CurrentDirectory };
        foreach (var start in starts)
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                if (DependsOnAzurite(dir.FullName))
                {
                    return dir.FullName;
                }
            }
        }

        throw new AzuriteStartException(
            $"No package.json with an 'azurite' dependency was found above '{AppContext.BaseDirectory}' or " +
            $"'{Environment.CurrentDirectory}'. Set AzuriteOptions.RepositoryRoot to the repository root.");
    }

    /// <summary>Returns the Azurite executable, running npm first when it is missing and installing is allowed.</summary>
    public static async Task<string> EnsureInstalledAsync(string root, AzuriteOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var executable = ExecutablePath(root);
        if (File.Exists(executable))
        {
            return executable;
        }

        if (!options.InstallIfMissing)
        {
            throw new AzuriteStartException(
                $"Azurite is not installed ('{executable}' is missing) and AzuriteOptions.InstallIfMissing is false. Run 'npm ci' in '{root}'.");
        }

        if (!File.Exists(Path.Combine(root, PackageJson)))
        {
            throw new AzuriteStartException($"Azurite is not installed ('{executable}' is missing) and '{root}' has no package.json to install it from.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.InstallTimeout);
        await InstallGate.WaitAsync(timeout.Token);
        try
        {
            await using var fileLock = await AcquireFileLockAsync(root, timeout.Token);

            // Another process may have installed it while this one waited.
            if (File.Exists(executable))
            {
                return executable;
            }

            var command = File.Exists(Path.Combine(root, PackageLock)) ? "ci" : "install";
            LogInstalling(logger, command, root);
            var stopwatch = Stopwatch.StartNew();
            await RunNpmAsync(root, command, options.InstallTimeout, logger, timeout.Token, cancellationToken);
            if (!File.Exists(executable))
            {
                throw new AzuriteStartException($"'npm {command}' succeeded in '{root}' but '{executable}' is still missing; is 'azurite' in package.json?");
            }

            LogInstalled(logger, stopwatch.Elapsed.TotalSeconds);
            return executable;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AzuriteStartException($"Installing Azurite in '{root}' did not finish within {options.InstallTimeout}.");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task RunNpmAsync(
        string root,
        string command,
        TimeSpan installTimeout,
        ILogger logger,
        CancellationToken timeoutToken,
        CancellationToken callerToken)
    {
        var startInfo = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        startInfo.ArgumentList.Add(command);
        startInfo.ArgumentList.Add("--no-audit");
        startInfo.ArgumentList.Add("--no-fund");

        var output = new OutputTail(100);
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new AzuriteStartException(
                "npm was not found on PATH. Install Node.js 20 or later (which includes npm), or install Azurite yourself with 'npm ci'.",
                ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // npm prints nothing until it is done; a first install takes a while, so say that it is still going.
            var exited = process.WaitForExitAsync(timeoutToken);
            var started = Stopwatch.GetTimestamp();
            while (await Task.WhenAny(exited, Task.Delay(ProgressInterval, timeoutToken)) != exited)
            {
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var lastLine = output.LastLine;
                LogStillInstalling(logger, command, seconds, lastLine);
            }

            await exited;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (callerToken.IsCancellationRequested)
            {
                throw;
            }

            throw new AzuriteStartException($"'npm {command}' did not finish within {installTimeout}. Output:{Environment.NewLine}{output}");
        }

        var text = output.ToString();
        LogNpmOutput(logger, command, text);
        if (process.ExitCode != 0)
        {
            throw new AzuriteStartException(
                $"'npm {command}' failed in '{root}' with exit code {process.ExitCode}. Output:{Environment.NewLine}{text}",
                process.ExitCode,
                text);
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string root, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"humanloop-azurite-install-{hash}.lock");
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock across processes (flock on Unix).
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    private static bool DependsOnAzurite(string directory)
    {
        var path = Path.Combine(directory, PackageJson);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var section in (string[])["devDependencies", "dependencies"])
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty(section, out var dependencies)
                    && dependencies.ValueKind == JsonValueKind.Object
                    && dependencies.TryGetProperty("azurite", out _))
                {
                    return true;
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Azurite is not installed; running 'npm {Command}' in {Root}")]
    private static partial void LogInstalling(ILogger logger, string command, string root);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Installed Azurite in {Seconds:0.0} s")]
    private static partial void LogInstalled(ILogger logger, double seconds);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Still installing Azurite ('npm {Command}', {Seconds:0} s so far; only the first run does this){LastLine}")]
    private static partial void LogStillInstalling(ILogger logger, string command, double seconds, string lastLine);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "npm {Command} output: {Output}")]
    private static partial void LogNpmOutput(ILogger logger, string command, string output);
}
