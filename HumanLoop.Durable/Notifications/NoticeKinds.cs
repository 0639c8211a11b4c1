namespace HumanLoop.Durable.Notifications;

/// <summary>The kinds of notice HumanLoop sends about a human task, as they appear in webhook payloads and webhook <c>Events</c> filters.</summary>
public static class NoticeKinds
{
    /// <summary>A task opened for its first assignees.</summary>
    public const string Opened = "opened";

    /// <summary>A reminder came due for an open task.</summary>
    public const string Reminder = "reminder";

    /// <summary>A task passed to the next assignees of its escalation chain (the new task's notice).</summary>
    public const string Escalated = "escalated";

    /// <summary>
    /// A task closed: answered (on any channel: the task says by whom and via which), timed out, cancelled, or escalated
    /// away from its assignees. Receivers withdraw it. Sent to webhooks only; email is not sent for it (a link followed
    /// afterwards shows the recorded decision).
    /// </summary>
    public const string Closed = "closed";
}
