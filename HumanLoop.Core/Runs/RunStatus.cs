namespace HumanLoop.Runs;

/// <summary>A run's runtime status, as Durable Functions names an orchestration's.</summary>
public enum RunStatus
{
    /// <summary>Created; its start message has not been applied yet.</summary>
    Pending,

    /// <summary>Started and not yet finished (running nodes or waiting for people).</summary>
    Running,

    /// <summary>Reached END.</summary>
    Completed,

    /// <summary>Stopped by an error; <see cref="RunState.Error"/> says why.</summary>
    Failed,

    /// <summary>Stopped by a terminate request.</summary>
    Terminated,
}

/// <summary>Helpers for <see cref="RunStatus"/>.</summary>
public static class RunStatusExtensions
{
    /// <summary>Whether the status is final (completed, failed or terminated).</summary>
    public static bool IsTerminal(this RunStatus status) => status is RunStatus.Completed or RunStatus.Failed or RunStatus.Terminated;
}
