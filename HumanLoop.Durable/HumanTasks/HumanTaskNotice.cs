using HumanLoop.Runs;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>
/// A message on <c>{hub}-human-tasks</c>: a task opened, a reminder came due, it escalated to new assignees, it closed,
/// or it was withdrawn. Delivery is at least once; <see cref="Id"/> identifies a notice, so a consumer that sees an id
/// twice ignores the second.
/// </summary>
/// <param name="Type"><c>opened</c>, <c>reminder</c>, <c>escalated</c>, <c>closed</c> or <c>withdrawn</c>.</param>
/// <param name="RunId">The run.</param>
/// <param name="RequestId">The request.</param>
/// <param name="Status">The request's state.</param>
/// <param name="Task">The task as recorded (without the state answers are checked against); omitted when too large for a queue message.</param>
/// <param name="Id">The notice's id, <c>{requestId}/{type}</c> (reminders: <c>{requestId}/reminder-N</c>), the same as a webhook delivery's.</param>
/// <param name="Reminder">Which reminder (1, 2, ...), for reminders.</param>
public sealed record HumanTaskNotice(string Type, string RunId, string RequestId, HumanRequestStatus Status, HumanTaskRecord? Task = null, string? Id = null, int? Reminder = null)
{
    /// <summary>The type of a notice for a task that opened.</summary>
    public const string Opened = "opened";

    /// <summary>The type of a notice for a task that closed.</summary>
    public const string Closed = "closed";

    /// <summary>The type of a notice for a task recorded as open that its run did not open after all: forget it.</summary>
    public const string Withdrawn = "withdrawn";
}
