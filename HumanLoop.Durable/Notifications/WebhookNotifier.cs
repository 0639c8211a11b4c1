using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HumanLoop.Durable.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// POSTs a notice to a registered webhook, signed, retrying with exponential back-off on the injected clock, and
/// records a dead letter after the last attempt.
/// </summary>
internal sealed class WebhookNotifier
{
    /// <summary>The name of the <see cref="HttpClient"/> webhooks are sent with.</summary>
    public const string HttpClientName = "HumanLoop.Webhooks";

    private readonly IOptionsMonitor<WebhookOptions> _options;
    private readonly IHttpClientFactory _http;
    private readonly WebhookDeadLetterStore _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookNotifier> _logger;

    public WebhookNotifier(IOptionsMonitor<WebhookOptions> options, IHttpClientFactory http, WebhookDeadLetterStore deadLetters, TimeProvider time, ILogger<WebhookNotifier> logger)
    {
        _options = options;
        _http = http;
        _deadLetters = deadLetters;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether any webhook is registered.</summary>
    public bool Any => _options.CurrentValue.Endpoints.Count > 0;

    /// <summary>The webhooks that receive <paramref name="kind"/>, by name.</summary>
    public IEnumerable<KeyValuePair<string, WebhookRegistration>> For(string kind) =>
        _options.CurrentValue.Endpoints.Where(e => e.Value.Accepts(kind));

    /// <summary>The body of a notice, as sent.</summary>
    public static string Serialize(TaskNotice notice) => JsonSerializer.Serialize(
        new WebhookNotice(notice.Id, notice.Kind, notice.Task.RunId, notice.Task.RequestId, notice.Reminder, notice.Task with { State = null }),
        DurableJsonContext.Default.WebhookNotice);

    /// <summary>Delivers the notice; returns whether it was delivered (false: it was dead-lettered).</summary>
    public async Task<bool> DeliverAsync(string name, WebhookRegistration hook, TaskNotice notice, CancellationToken cancellationToken)
    {
        var body = Serialize(notice);
        var client = _http.CreateClient(HttpClientName);
        string lastError = "not attempted";
        int attempt = 0;
        var delay = hook.InitialDelay;
        while (true)
        {
            attempt++;
            var (delivered, retryable, error) = await AttemptAsync(client, hook, notice.Id, body, cancellationToken).ConfigureAwait(false);
            if (delivered)
            {
                return true;
            }

            lastError = error;
            if (!retryable || attempt >= hook.MaxAttempts)
            {
                break;
            }

            NotificationLogs.WebhookRetrying(_logger, name, notice.Id, attempt, error, delay);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, hook.MaxDelay.Ticks));
        }

        NotificationLogs.WebhookDeadLettered(_logger, name, notice.Id, attempt, lastError);
        await _deadLetters.AddAsync(
            new WebhookDeadLetter
            {
                Webhook = name,
                DeliveryId = notice.Id,
                Url = hook.Url!.AbsoluteUri,
                Kind = notice.Kind,
                RunId = notice.Task.RunId,
                RequestId = notice.Task.RequestId,
                Attempts = attempt,
                LastError = lastError,
                Body = body,
                FailedAt = _time.GetUtcNow(),
            },
            cancellationToken).ConfigureAwait(false);
        return false;
    }

    private async Task<(bool Delivered, bool Retryable, string Error)> AttemptAsync(HttpClient client, WebhookRegistration hook, string deliveryId, string body, CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Compute(hook.Secret!, timestamp, body));
        request.Headers.Add(WebhookSignature.DeliveryHeader, deliveryId);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(hook.Timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (true, false, string.Empty);
            }

            var code = (int)response.StatusCode;

            // A receiver that refuses the request (bad signature, unknown hook) refuses every retry too; 408 and 429 are worth retrying.
            var retryable = code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            return (false, retryable, $"HTTP {code} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, true, $"no response within {hook.Timeout}");
        }
        catch (HttpRequestException e)
        {
            return (false, true, e.Message);
        }
    }
}
