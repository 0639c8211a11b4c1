using HumanLoop.Durable.HumanTasks;

namespace HumanLoop.Durable.Notifications;

/// <summary>One notice about one task: it opened, a reminder came due, it escalated to its assignees, or it closed.</summary>
/// <param name="Task">The task as recorded.</param>
/// <param name="Kind">One of <see cref="NoticeKinds"/>.</param>
/// <param name="Reminder">Which reminder (1, 2, ...), for reminders.</param>
internal sealed record TaskNotice(HumanTaskRecord Task, string Kind, int? Reminder = null)
{
    /// <summary>The kind as deduplicated: <c>opened</c>, <c>escalated</c>, <c>closed</c> or <c>reminder-N</c>.</summary>
    public string Key => Reminder is { } n ? $"{Kind}-{n}" : Kind;

    /// <summary>The id receivers deduplicate on: <c>{requestId}/{key}</c>.</summary>
    public string Id => Task.RequestId + "/" + Key;
}
