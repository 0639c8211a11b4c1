using System.Globalization;
using System.Text.RegularExpressions;

namespace HumanLoop.Durable.Azurite;

/// <summary>
/// Thrown when Azurite cannot be installed or started, or does not answer in time. The message includes
/// the tail of Azurite's (or npm's) output.
/// </summary>
public sealed partial class AzuriteStartException : Exception
{
    /// <summary>Initializes a new instance with no details.</summary>
    public AzuriteStartException()
        : this("Azurite could not be started.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What went wrong, with the process output.</param>
    public AzuriteStartException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong, with the process output.</param>
    /// <param name="innerException">The cause.</param>
    public AzuriteStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance for a process that exited.</summary>
    /// <param name="message">What went wrong, with the process output.</param>
    /// <param name="exitCode">The process exit code.</param>
    /// <param name="standardError">The tail of the process's error output.</param>
    public AzuriteStartException(string message, int? exitCode, string standardError)
        : base(message)
    {
        ExitCode = exitCode;
        StandardError = standardError;
    }

    /// <summary>Gets the exit code of the process that failed, when it exited.</summary>
    public int? ExitCode { get; }

    /// <summary>Gets the tail of the failed process's error output (empty when unknown).</summary>
    public string StandardError { get; } = string.Empty;

    /// <summary>Gets a value indicating whether Azurite failed because a port was already in use.</summary>
    public bool IsPortInUse => StandardError.Contains("EADDRINUSE", StringComparison.Ordinal);

    /// <summary>Gets the port that was already in use, when Azurite's error output names it.</summary>
    public int? ConflictingPort
    {
        get
        {
            // Node reports "listen EADDRINUSE: address already in use 127.0.0.1:10000".
            var match = AddressInUse().Match(StandardError);
            return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                ? port
                : null;
        }
    }

    [GeneratedRegex(@"EADDRINUSE[^\r\n]*:(\d{1,5})\b")]
    private static partial Regex AddressInUse();
}
