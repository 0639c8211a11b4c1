namespace HumanLoop.Durable.Orchestration;

/// <summary>Thrown by the graph orchestrator when the run machine fails a run; the orchestration fails with its message.</summary>
public sealed class RunFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the run failed, as the run machine reports it.</param>
    public RunFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no reason.</summary>
    public RunFailedException()
    {
    }

    /// <summary>Creates the exception around an inner one.</summary>
    /// <param name="message">Why the run failed.</param>
    /// <param name="innerException">What caused it.</param>
    public RunFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
