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

    /// <summary>Its row in <c>{Hub}Notices</c> for one channel: <c>{key}~{channel}</c>, such as <c>reminder-1~email</c>.</summary>
    /// <param name="channel">The channel: <c>email</c>, <c>queue</c> or <c>webhook-{name}</c>.</param>
    public string LogKey(string channel) => Key + "~" + channel;

    /// <summary>The notice as a <c>{hub}-human-tasks</c> message.</summary>
    public HumanTaskNotice ToQueueMessage() => new(Kind, Task.RunId, Task.RequestId, Task.Status, Task, Id, Reminder);
}
