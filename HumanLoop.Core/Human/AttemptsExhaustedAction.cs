namespace HumanLoop.Human;

/// <summary>What follows when a human step has received <c>MaxAttempts</c> invalid answers.</summary>
public enum AttemptsExhaustedAction
{
    /// <summary>Fail the run, naming the step. The default.</summary>
    FailRun,

    /// <summary>Accept the step's declared default answer, recorded as given by <c>system:default</c>.</summary>
    TakeDefault,

    /// <summary>Pass the request to the next assignees of the step's escalation chain; fail the run when the chain is exhausted.</summary>
    Escalate,
}
