using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Notifications;

/// <summary>
/// The SMTP server notification emails go through, from the configuration section <c>HumanLoop:Email</c>. Email is
/// off while <see cref="Host"/> is unset.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The configuration section: <c>HumanLoop:Email</c>.</summary>
    public const string SectionName = "HumanLoop:Email";

    /// <summary>The SMTP server's host name. The default (unset) sends no email.</summary>
    public string? Host { get; set; }

    /// <summary>The SMTP port.</summary>
    /// <value>The default is 25.</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>How the connection is secured.</summary>
    /// <value>The default is <see cref="SmtpSecurity.Auto"/>.</value>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>The user name to authenticate with. The default (unset) does not authenticate.</summary>
    public string? UserName { get; set; }

    /// <summary>The password for <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The SHA-256 fingerprint (64 hex digits; colons and spaces between them are ignored) of an SMTP server certificate
    /// to accept although the system does not trust its chain: a self-signed certificate, or one from a private
    /// authority. The host name must still match the certificate, and any other fault fails the connection. The default
    /// (unset) accepts only certificates the system trusts.
    /// </summary>
    public string? TrustedCertificateThumbprint { get; set; }

    /// <summary>The sender, as an address or <c>Name &lt;address&gt;</c>.</summary>
    /// <value>The default is <c>HumanLoop &lt;humanloop@localhost&gt;</c>.</value>
    [Required]
    public string From { get; set; } = "HumanLoop <humanloop@localhost>";

    /// <summary>How long one SMTP operation (connect, send) may take.</summary>
    /// <value>The default is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether email is configured (a host is set).</summary>
    public bool IsEnabled => !string.IsNullOrWhiteSpace(Host);
}
