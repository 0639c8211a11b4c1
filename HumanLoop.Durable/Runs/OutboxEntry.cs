using HumanLoop.Runs;

namespace HumanLoop.Durable.Runs;

/// <summary>Work committed with a transition and carried out after it: a run-node, timer or request effect.</summary>
/// <param name="Effect">The effect.</param>
/// <param name="DueAt">For a cancelled timer, when it was due (its timer row is keyed by due time).</param>
/// <param name="CommittedAt">When it was committed; after the recovery age anyone may dispatch it, before that only its writer does.</param>
internal sealed record OutboxEntry(RunEffect Effect, DateTimeOffset? DueAt = null, DateTimeOffset? CommittedAt = null)
{
    /// <summary>Identifies the entry across rewrites of the run row, so a writer removes exactly the entries it dispatched.</summary>
    public string Key => Effect switch
    {
        RunNode n => "n:" + n.TaskId,
        ScheduleTimer t => "t+:" + t.TimerId,
        CancelTimer t => "t-:" + t.TimerId,
        OpenHumanRequest o => "o:" + o.Request.Id,
        CloseHumanRequest c => "c:" + c.RequestId + ":" + c.Status,
        _ => Effect.GetType().Name,
    };
}
