using System.Security.Cryptography;
using HumanLoop.Durable.Azurite;
using HumanLoop.Durable.Configuration;

namespace HumanLoop.Functions.Hosting;

/// <summary>The <c>serve</c> verb (the default): runs the web host until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    /// <summary>Exit code for invalid configuration (sysexits EX_CONFIG).</summary>
    public const int ConfigError = 78;

    /// <summary>Exit code when storage could not be reached or started, or the port is taken (sysexits EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>Builds and runs the host.</summary>
    /// <param name="args">The command line, with or without the leading <c>serve</c>.</param>
    /// <param name="cancellationToken">Stops the host gracefully.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var hostArgs = args.Length > 0 && args[0] == "serve" ? args[1..] : args;
        WebApplication app;
        try
        {
            app = HumanLoopWebApplication.Create(hostArgs);
        }
        catch (Exception ex) when (ex is HostJsonException or FormatException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}");
            return ConfigError;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or CryptographicException)
            {
                // Kestrel's own refusals at start, such as an https address with no certificate to serve it.
                var hint = ex.Message.Contains("HTTPS", StringComparison.Ordinal)
                    ? " Configure a certificate (Kestrel:Certificates:Default:Path, see docs/transport.md), or create the development one with 'dotnet dev-certs https'."
                    : string.Empty;
                await Console.Error.WriteLineAsync($"Could not start: {ex.Message}{hint}");
                return ConfigError;
            }
            catch (AzuriteStartException ex)
            {
                await Console.Error.WriteLineAsync($"Could not start Azurite: {ex.Message}");
                return Unavailable;
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await Console.Error.WriteLineAsync(
                    $"Could not listen: {ex.Message} Is another host running? Stop it, or choose another port with --urls http://localhost:7072 or host.json's extensions.humanLoop.port.");
                return Unavailable;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C during start-up.
                return 0;
            }

            // Stops the host on Ctrl+C or SIGTERM.
            await app.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }
}
