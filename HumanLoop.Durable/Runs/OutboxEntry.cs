using HumanLoop.Runs;

namespace HumanLoop.Durable.Runs;

/// <summary>Work committed with a transition and carried out after it: a run-node, timer or request effect.</summary>
/// <param name="Effect">The effect.</param>
/// <param name="DueAt">For a cancelled timer, when it was due (its timer row is keyed by due time).</param>
internal sealed record OutboxEntry(RunEffect Effect, DateTimeOffset? DueAt = null);
