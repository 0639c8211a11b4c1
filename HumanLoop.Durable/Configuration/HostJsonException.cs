namespace HumanLoop.Durable.Configuration;

/// <summary>Thrown when host.json cannot be read or has invalid values; lists every problem found.</summary>
public sealed class HostJsonException : Exception
{
    /// <summary>Initializes a new instance with no details.</summary>
    public HostJsonException()
        : this("host.json is invalid.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public HostJsonException(string message)
        : base(message)
    {
        Problems = [message];
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public HostJsonException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Initializes a new instance listing every problem of one file.</summary>
    /// <param name="sourcePath">The file, or <see langword="null"/> for text that did not come from a file.</param>
    /// <param name="problems">One message per problem, each starting with the JSON path of the key.</param>
    public HostJsonException(string? sourcePath, IReadOnlyList<string> problems)
        : base(FormatMessage(sourcePath, problems))
    {
        Problems = problems;
        SourcePath = sourcePath;
    }

    /// <summary>Gets one message per problem, each starting with the JSON path of the key.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Gets the file the problems are in, when known.</summary>
    public string? SourcePath { get; }

    private static string FormatMessage(string? sourcePath, IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var where = sourcePath is null ? "host.json" : $"host.json at '{sourcePath}'";
        return $"{where} is invalid:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}";
    }
}
