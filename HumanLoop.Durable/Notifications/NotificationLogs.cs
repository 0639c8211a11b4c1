using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Notifications;

/// <summary>The notifications' log messages (event ids 2301-2399).</summary>
internal static partial class NotificationLogs
{
    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Notice {Notice} of request {RequestId} sent by {Channel} ({Detail})")]
    public static partial void NoticeSent(ILogger logger, string requestId, string notice, string channel, string detail);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Debug, Message = "Notice {Notice} of request {RequestId} by {Channel} was sent before; skipped")]
    public static partial void NoticeSkipped(ILogger logger, string requestId, string notice, string channel);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Notice {Notice} of request {RequestId} by {Channel} was cut short by an earlier attempt (attempt {Attempt}); sending it again")]
    public static partial void NoticeResent(ILogger logger, string requestId, string notice, string channel, int attempt);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Request {RequestId}: the directory has no email address for {Assignees} (HumanLoop:Directory)")]
    public static partial void RecipientsUnresolved(ILogger logger, string requestId, string assignees);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Information, Message = "No IActionLinks is registered: notice emails are sent without action buttons or a review link")]
    public static partial void NoActionLinks(ILogger logger);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Warning, Message = "Webhook {Webhook}: delivery {DeliveryId} failed on attempt {Attempt} ({Error}); retrying in {Delay}")]
    public static partial void WebhookRetrying(ILogger logger, string webhook, string deliveryId, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Error, Message = "Webhook {Webhook}: delivery {DeliveryId} failed after {Attempts} attempts ({Error}); dead-lettered")]
    public static partial void WebhookDeadLettered(ILogger logger, string webhook, string deliveryId, int attempts, string error);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Warning, Message = "Run {RunId}: a reminder names request {RequestId}, which is not recorded as open; no reminder sent")]
    public static partial void ReminderTaskMissing(ILogger logger, string runId, string requestId);

    [LoggerMessage(EventId = 2309, Level = LogLevel.Error, Message = "Notice {Notice} of request {RequestId} by {Channel} failed; the activity is retried")]
    public static partial void NoticeFailed(ILogger logger, Exception exception, string requestId, string notice, string channel);
}
