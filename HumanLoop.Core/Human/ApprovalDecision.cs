namespace HumanLoop.Human;

/// <summary>The answer to an approval step.</summary>
/// <param name="Approved">Whether the reviewer approved.</param>
/// <param name="Reason">The reviewer's reason; required when rejecting (unless the step says otherwise).</param>
public sealed record ApprovalDecision(bool Approved, string? Reason = null);

/// <summary>The answer to an edit step.</summary>
/// <param name="Value">The value as the reviewer left it (when rejected: the value as shown).</param>
/// <param name="Changed">Whether it differs from the value the reviewer was shown.</param>
public sealed record EditedValue(string Value, bool Changed)
{
    /// <summary>Whether the reviewer rejected the value instead of approving it (only when the step allows it). The default is false.</summary>
    public bool Rejected { get; init; }

    /// <summary>Why the reviewer rejected it; set when <see cref="Rejected"/> is true.</summary>
    public string? Reason { get; init; }
}
