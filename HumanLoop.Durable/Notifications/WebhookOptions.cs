using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Notifications;

/// <summary>The registered outbound webhooks, by name, from the configuration section <c>HumanLoop:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>The configuration section: <c>HumanLoop:Webhooks</c> (one subsection per webhook name).</summary>
    public const string SectionName = "HumanLoop:Webhooks";

    /// <summary>The webhooks by name. The default is none.</summary>
    public Dictionary<string, WebhookRegistration> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The problems of the registrations, one message each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var (name, hook) in Endpoints)
        {
            if (hook.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"HumanLoop:Webhooks:{name}:Url must be an absolute http or https URL.");
            }

            if (string.IsNullOrEmpty(hook.Secret))
            {
                problems.Add($"HumanLoop:Webhooks:{name}:Secret is required (it signs every delivery).");
            }

            if (hook.MaxAttempts is < 1 or > 20)
            {
                problems.Add($"HumanLoop:Webhooks:{name}:MaxAttempts must be 1-20 (was {hook.MaxAttempts}).");
            }

            if (hook.InitialDelay <= TimeSpan.Zero || hook.MaxDelay < hook.InitialDelay || hook.Timeout <= TimeSpan.Zero)
            {
                problems.Add($"HumanLoop:Webhooks:{name}: InitialDelay and Timeout must be positive and MaxDelay at least InitialDelay.");
            }

            var unknown = hook.Events.Where(e => e is not (NoticeKinds.Opened or NoticeKinds.Reminder or NoticeKinds.Escalated or NoticeKinds.Closed)).ToList();
            if (unknown.Count > 0)
            {
                problems.Add($"HumanLoop:Webhooks:{name}:Events has unknown kinds ({string.Join(", ", unknown)}); use opened, reminder, escalated, closed.");
            }
        }

        return problems;
    }
}

/// <summary>One outbound webhook.</summary>
public sealed class WebhookRegistration
{
    /// <summary>Where the notices are POSTed.</summary>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>The shared secret of the <c>X-HumanLoop-Signature</c> HMAC.</summary>
    [Required]
    public string? Secret { get; set; }

    /// <summary>The notice kinds sent (<see cref="NoticeKinds"/>). The default (empty) sends every kind.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>How many times a notice is tried before it is dead-lettered.</summary>
    /// <value>The default is 4.</value>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The wait before the first retry; each later retry waits twice as long.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether this webhook receives notices of <paramref name="kind"/>.</summary>
    public bool Accepts(string kind) => Events.Count == 0 || Events.Contains(kind, StringComparer.OrdinalIgnoreCase);
}
