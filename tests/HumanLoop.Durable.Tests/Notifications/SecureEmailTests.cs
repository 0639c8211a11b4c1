using HumanLoop.Durable.Notifications;
using HumanLoop.Human;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Tests.Notifications;

/// <summary>Email over STARTTLS and implicit TLS with credentials, to servers with a self-signed certificate trusted by its fingerprint.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SecureEmailTests(AzuriteFixture azurite, SecureSmtpFixture smtp) : IClassFixture<SecureSmtpFixture>
{
    public static TheoryData<SmtpSecurity> Modes => [SmtpSecurity.StartTls, SmtpSecurity.SslOnConnect];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Opened_OverTlsWithCredentials_IsDelivered(SmtpSecurity security)
    {
        using var timeout = TestTimeout.Start();
        var alice = Unique("alice");
        await using var host = await NotificationHost.StartAsync(azurite, Settings(security, alice));
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);

        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        var summary = Assert.Single(await Server(security).WaitForAsync(alice, 1, timeout.Token));
        Assert.Equal("Your review is requested: Approve the draft?", summary.Subject);
        var sent = Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token));
        Assert.Equal(NoticeLog.Sent, sent.Status);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Opened_WrongPassword_TheActivityThrowsToBeRetried_AndTheRetryWithTheRightOneSendsOnce(SmtpSecurity security)
    {
        using var timeout = TestTimeout.Start();
        var alice = Unique("alice");
        var hub = Orchestration.EngineHost.NewHubName();
        var wrong = Settings(security, alice);
        wrong["HumanLoop:Email:Password"] = "not-the-password";
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);
        await using (var refused = await NotificationHost.StartAsync(azurite, wrong, hub))
        {
            var failure = await Assert.ThrowsAsync<AggregateException>(() => refused.RecordAsync(NotificationHost.Opened(request), timeout.Token));
            Assert.IsType<AuthenticationException>(Assert.Single(failure.InnerExceptions));
            var pending = Assert.Single(await refused.Notices.ListAsync(request.Id, timeout.Token));
            Assert.Equal((NoticeLog.Sending, 1), (pending.Status, pending.Attempts));
        }

        Assert.Empty(await Server(security).ListToAsync(alice, timeout.Token));
        await using var host = await NotificationHost.StartAsync(azurite, Settings(security, alice), hub);
        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        Assert.Single(await Server(security).WaitForAsync(alice, 1, timeout.Token));
        var sent = Assert.Single(await host.Notices.ListAsync(request.Id, timeout.Token));
        Assert.Equal((NoticeLog.Sent, 2), (sent.Status, sent.Attempts));
    }

    public static TheoryData<SmtpSecurity, string?> Untrusted => new()
    {
        { SmtpSecurity.StartTls, null },
        { SmtpSecurity.SslOnConnect, null },
        { SmtpSecurity.SslOnConnect, new string('A', 64) },
    };

    [Theory]
    [MemberData(nameof(Untrusted))]
    public async Task Opened_SelfSignedCertificateNotTrusted_FailsTheSendAndSendsNothing(SmtpSecurity security, string? thumbprint)
    {
        using var timeout = TestTimeout.Start();
        var alice = Unique("alice");
        var settings = Settings(security, alice);
        settings["HumanLoop:Email:TrustedCertificateThumbprint"] = thumbprint;
        await using var host = await NotificationHost.StartAsync(azurite, settings);
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);

        var failure = await Assert.ThrowsAsync<AggregateException>(() => host.RecordAsync(NotificationHost.Opened(request), timeout.Token));

        Assert.IsType<SslHandshakeException>(Assert.Single(failure.InnerExceptions));
        Assert.Empty(await Server(security).ListToAsync(alice, timeout.Token));
    }

    [Fact]
    public async Task Opened_FingerprintWithColonsAndLowerCase_IsTrusted()
    {
        using var timeout = TestTimeout.Start();
        var alice = Unique("alice");
        var settings = Settings(SmtpSecurity.StartTls, alice);
        settings["HumanLoop:Email:TrustedCertificateThumbprint"] = string.Join(':', smtp.Certificate.Sha256Thumbprint.ToLowerInvariant().Chunk(2).Select(c => new string(c)));
        await using var host = await NotificationHost.StartAsync(azurite, settings);
        var request = NotificationHost.Request("run-" + Guid.NewGuid().ToString("N")[..8], "Approve the draft?", "Draft", [Assignee.User("alice")], HumanChannel.Email);

        await host.RecordAsync(NotificationHost.Opened(request), timeout.Token);

        Assert.Single(await smtp.StartTls.WaitForAsync(alice, 1, timeout.Token));
    }

    [Theory]
    [InlineData("not-a-fingerprint")]
    [InlineData("ABCDEF")]
    [InlineData("0000000000000000000000000000000000000000")]
    public async Task Start_MalformedFingerprint_FailsValidationNamingTheSetting(string thumbprint)
    {
        var settings = Settings(SmtpSecurity.StartTls, Unique("alice"));
        settings["HumanLoop:Email:TrustedCertificateThumbprint"] = thumbprint;

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () => await (await NotificationHost.StartAsync(azurite, settings)).DisposeAsync());

        Assert.Contains("HumanLoop:Email:TrustedCertificateThumbprint must be a SHA-256 fingerprint", failure.Message, StringComparison.Ordinal);
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@example.test";

    private Smtp4dev Server(SmtpSecurity security) => security == SmtpSecurity.StartTls ? smtp.StartTls : smtp.ImplicitTls;

    private Dictionary<string, string?> Settings(SmtpSecurity security, string alice)
    {
        var settings = NotificationHost.EmailSettings(Server(security).SmtpPort, security, ("alice", alice));
        settings["HumanLoop:Email:UserName"] = SecureSmtpFixture.UserName;
        settings["HumanLoop:Email:Password"] = SecureSmtpFixture.Password;
        settings["HumanLoop:Email:TrustedCertificateThumbprint"] = smtp.Certificate.Sha256Thumbprint;
        return settings;
    }
}
