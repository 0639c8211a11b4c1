namespace HumanLoop.Runtime;

/// <summary>No run has the given id.</summary>
public sealed class RunNotFoundException(string runId)
    : Exception($"No run has the id '{runId}'.")
{
    /// <summary>The id that was not found.</summary>
    public string RunId { get; } = runId;
}
