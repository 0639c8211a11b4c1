namespace HumanLoop.Human;

/// <summary>The answer to an approval step.</summary>
/// <param name="Approved">Whether the reviewer approved.</param>
/// <param name="Reason">The reviewer's reason; required when rejecting (unless the step says otherwise).</param>
public sealed record ApprovalDecision(bool Approved, string? Reason = null);

/// <summary>The answer to an edit step.</summary>
/// <param name="Value">The value as the reviewer left it.</param>
/// <param name="Changed">Whether it differs from the value the reviewer was shown.</param>
public sealed record EditedValue(string Value, bool Changed);
