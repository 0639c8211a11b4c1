using HumanLoop.Durable.HumanTasks;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// The JSON body of a webhook delivery (schema in docs/webhooks.md). <see cref="Id"/> is the same for every attempt and
/// every repeat of a notice, so a receiver that has seen it ignores it.
/// </summary>
/// <param name="Id">The delivery id: <c>{requestId}/{kind}</c> (reminders: <c>reminder-N</c>).</param>
/// <param name="Type">The kind: <c>opened</c>, <c>reminder</c>, <c>escalated</c> or <c>closed</c>.</param>
/// <param name="RunId">The run.</param>
/// <param name="RequestId">The task's request id.</param>
/// <param name="Reminder">Which reminder (1, 2, ...), for reminders.</param>
/// <param name="Task">The task as recorded, without the state its answers are checked against.</param>
public sealed record WebhookNotice(string Id, string Type, string RunId, string RequestId, int? Reminder, HumanTaskRecord Task);
