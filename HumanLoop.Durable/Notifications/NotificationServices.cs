using HumanLoop.Durable.Hosting;
using HumanLoop.Durable.HumanTasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace HumanLoop.Durable.Notifications;

/// <summary>Registers the notifications: options bound from configuration, the stores, email and webhooks.</summary>
internal static class NotificationServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddOptions<EmailOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(EmailOptions.SectionName).Bind(o))
            .ValidateDataAnnotations()
            .Validate(o => !o.IsEnabled || TryParseFrom(o.From), "HumanLoop:Email:From must be an address or 'Name <address>'.")
            .Validate(
                o => string.IsNullOrWhiteSpace(o.TrustedCertificateThumbprint) || SmtpCertificateTrust.TryParse(o.TrustedCertificateThumbprint, out _),
                "HumanLoop:Email:TrustedCertificateThumbprint must be a SHA-256 fingerprint: 64 hex digits.")
            .ValidateOnStart();
        services.AddOptions<DirectoryOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(DirectoryOptions.SectionName).Bind(o));
        services.AddOptions<WebhookOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(WebhookOptions.SectionName).Bind(o.Endpoints))
            .Validate(o => o.Validate().Count == 0, "HumanLoop:Webhooks is invalid; see each webhook's Url, Secret, Events and retry settings.")
            .ValidateOnStart();
        services.AddHttpClient(WebhookNotifier.HttpClientName);
        services.TryAddSingleton<AssigneeDirectory>();
        services.TryAddSingleton(sp => new NoticeLog(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new WebhookDeadLetterStore(sp.GetRequiredService<HubStorage>().Tables, sp.GetRequiredService<HubStorage>().Names));
        services.TryAddSingleton<EmailNotifier>();
        services.TryAddSingleton<WebhookNotifier>();
        services.TryAddSingleton(sp => new HumanTaskNotifier(
            sp.GetRequiredService<HumanTaskStore>(),
            sp.GetRequiredService<NoticeLog>(),
            sp.GetRequiredService<HumanTaskQueue>(),
            sp.GetRequiredService<EmailNotifier>(),
            sp.GetRequiredService<WebhookNotifier>(),
            sp.GetRequiredService<ILogger<HumanTaskNotifier>>()));
    }

    private static bool TryParseFrom(string? from) => from is not null && MimeKit.MailboxAddress.TryParse(from, out _);
}
