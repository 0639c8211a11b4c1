using HumanLoop.Runs;

namespace HumanLoop.Durable.HumanTasks;

/// <summary>
/// A message on <c>{hub}-human-tasks</c>: a task opened or closed. Delivery is at least once; (<see cref="RequestId"/>,
/// <see cref="Type"/>) identifies a notice, so a consumer that sees a pair twice ignores the second.
/// </summary>
/// <param name="Type"><c>opened</c> or <c>closed</c>.</param>
/// <param name="RunId">The run.</param>
/// <param name="RequestId">The request.</param>
/// <param name="Status">The request's state.</param>
/// <param name="Task">The task as recorded (without the state answers are checked against); omitted when too large for a queue message.</param>
public sealed record HumanTaskNotice(string Type, string RunId, string RequestId, HumanRequestStatus Status, HumanTaskRecord? Task = null)
{
    /// <summary>The type of a notice for a task that opened.</summary>
    public const string Opened = "opened";

    /// <summary>The type of a notice for a task that closed.</summary>
    public const string Closed = "closed";

    /// <summary>The type of a notice for a task recorded as open that its run did not open after all: forget it.</summary>
    public const string Withdrawn = "withdrawn";
}
