using HumanLoop.Durable.Links;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace HumanLoop.Durable.Notifications;

/// <summary>Sends a notice by email over SMTP (MailKit): one message per recipient, each with its own links.</summary>
internal sealed class EmailNotifier
{
    private readonly IOptionsMonitor<EmailOptions> _options;
    private readonly AssigneeDirectory _directory;
    private readonly IServiceProvider _services;
    private readonly ILogger<EmailNotifier> _logger;
    private int _noLinksLogged;

    public EmailNotifier(IOptionsMonitor<EmailOptions> options, AssigneeDirectory directory, IServiceProvider services, ILogger<EmailNotifier> logger)
    {
        _options = options;
        _directory = directory;
        _services = services;
        _logger = logger;
    }

    public bool IsEnabled => _options.CurrentValue.IsEnabled;

    /// <summary>The people the notice would go to; those the directory cannot resolve are logged.</summary>
    public IReadOnlyList<Recipient> RecipientsOf(TaskNotice notice)
    {
        var recipients = _directory.Resolve(notice.Task.Assignees, out var unresolved);
        if (unresolved.Count > 0)
        {
            NotificationLogs.RecipientsUnresolved(_logger, notice.Task.RequestId, string.Join(", ", unresolved));
        }

        return recipients;
    }

    /// <summary>Sends the notice to each recipient over one SMTP connection. Throws when the server refuses or cannot be reached.</summary>
    public async Task SendAsync(TaskNotice notice, IReadOnlyList<Recipient> recipients, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var links = _services.GetService<IActionLinks>();
        if (links is null && Interlocked.Exchange(ref _noLinksLogged, 1) == 0)
        {
            NotificationLogs.NoActionLinks(_logger);
        }

        var messages = recipients.Select(r => Compose(options, notice, r, links?.Create(notice.Task, r.Assignee))).ToList();
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        if (SmtpCertificateTrust.TryParse(options.TrustedCertificateThumbprint, out var thumbprint))
        {
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) => SmtpCertificateTrust.IsTrusted(certificate, errors, thumbprint);
        }

        await client.ConnectAsync(options.Host!, options.Port, ToMailKit(options.Security), cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(options.UserName))
        {
            await client.AuthenticateAsync(options.UserName, options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        foreach (var message in messages)
        {
            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }

        await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
    }

    private static MimeMessage Compose(EmailOptions options, TaskNotice notice, Recipient recipient, ActionLinkSet? links)
    {
        var email = NoticeEmail.Build(notice, recipient, links);
        var message = new MimeMessage { Subject = email.Subject };
        message.From.Add(MailboxAddress.Parse(options.From));
        message.To.Add(new MailboxAddress(recipient.DisplayName, recipient.Email));

        // Threads every notice about one task together in mail clients.
        message.Headers.Add("X-HumanLoop-Request", notice.Task.RequestId);
        message.Headers.Add("X-HumanLoop-Notice", notice.Key);
        message.Body = new BodyBuilder { TextBody = email.Text, HtmlBody = email.Html }.ToMessageBody();
        return message;
    }

    private static SecureSocketOptions ToMailKit(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };
}
