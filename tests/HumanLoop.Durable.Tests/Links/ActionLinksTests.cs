using System.Buffers.Text;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Azure.Storage.Blobs;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.TaskHub;
using HumanLoop.Human;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HumanLoop.Durable.Tests.Links;

/// <summary>Link tokens, the shared key ring in blob storage and the used-links table, on a real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ActionLinksTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task KeyRing_TwoHostsOfOneHub_ReadEachOthersTokensAndAnotherHubCannot()
    {
        var hub = "Links" + Guid.NewGuid().ToString("N")[..10];
        await using var hostA = Host(hub);
        await using var hostB = Host(hub);
        await using var otherHub = Host("Other" + Guid.NewGuid().ToString("N")[..10]);
        var token = Token(Start.AddDays(1));

        var fromA = hostA.GetRequiredService<LinkTokenCodec>().Protect(token);
        Assert.True(hostB.GetRequiredService<LinkTokenCodec>().TryUnprotect(fromA, out var readByB));
        Assert.Equal(token, readByB);
        var fromB = hostB.GetRequiredService<LinkTokenCodec>().Protect(token with { Action = "reject" });
        Assert.True(hostA.GetRequiredService<LinkTokenCodec>().TryUnprotect(fromB, out var readByA));
        Assert.Equal("reject", readByA.Action);
        Assert.False(otherHub.GetRequiredService<LinkTokenCodec>().TryUnprotect(fromA, out _));

        var container = new BlobServiceClient(azurite.Launcher.ConnectionString).GetBlobContainerClient(new TaskHubNames(hub).KeysContainer);
        var blobs = new List<string>();
        await foreach (var blob in container.GetBlobsAsync())
        {
            blobs.Add(blob.Name);
        }

        Assert.NotEmpty(blobs);
        Assert.All(blobs, name => Assert.Matches("^keys/key-[0-9a-f-]{36}\\.xml$", name));
    }

    [Fact]
    public async Task Create_ExpiresAtTheDeadlineOrAfterTheMaxLifetimeOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = Host("Links" + Guid.NewGuid().ToString("N")[..10], time, o =>
        {
            o.BaseUrl = new Uri("https://reviews.test/humanloop/");
            o.MaxLifetime = TimeSpan.FromDays(2);
        });
        var links = host.GetRequiredService<IActionLinks>();
        var codec = host.GetRequiredService<LinkTokenCodec>();
        var task = Task(HumanStepKind.Approval);

        var capped = links.Create(task, "user:alice");
        var bounded = links.Create(task with { Deadline = Start.AddHours(5) }, "role:editor");

        Assert.StartsWith("https://reviews.test/humanloop/review/", capped.Review.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("https://reviews.test/humanloop/act/", capped.Actions[0].Url.ToString(), StringComparison.Ordinal);
        Assert.True(codec.TryUnprotect(capped.Review.AbsolutePath.Split('/')[^1], out var review));
        Assert.Equal(LinkToken.ReviewAction, review.Action);
        Assert.Equal("user:alice", review.Assignee);
        Assert.Equal(task.RunId, review.RunId);
        Assert.Equal(task.RequestId, review.RequestId);
        Assert.Equal(2, review.EscalationLevel);
        Assert.Equal(Start, review.IssuedAt);
        Assert.Equal(Start.AddDays(2), review.ExpiresAt);
        Assert.True(codec.TryUnprotect(bounded.Actions[1].Url.AbsolutePath.Split('/')[^1], out var reject));
        Assert.Equal(("reject", "role:editor", Start.AddHours(5)), (reject.Action, reject.Assignee, reject.ExpiresAt));

        time.Advance(TimeSpan.FromDays(1));
        Assert.True(codec.TryUnprotect(links.Create(task, "user:alice").Review.AbsolutePath.Split('/')[^1], out var later));
        Assert.Equal(Start.AddDays(3), later.ExpiresAt);
        Assert.NotEqual(review.Id, later.Id);
    }

    [Fact]
    public async Task Create_EditStep_ApproveIsAConfirmLink_EditAndRejectOpenTheReviewPageBoundToThem()
    {
        await using var host = Host("Links" + Guid.NewGuid().ToString("N")[..10], new FakeTimeProvider(Start), o => o.BaseUrl = new Uri("https://reviews.test/"));
        var codec = host.GetRequiredService<LinkTokenCodec>();
        var task = Task(HumanStepKind.Edit) with { Details = JsonSerializer.SerializeToElement(new { value = "Draft", allowReject = true }) };

        var links = host.GetRequiredService<IActionLinks>().Create(task, "user:alice");

        Assert.Equal(["Approve as is", "Edit then approve", "Reject with a reason"], links.Actions.Select(a => a.Label));
        var tokens = links.Actions.Select(a =>
        {
            Assert.True(codec.TryUnprotect(a.Url.AbsolutePath.Split('/')[^1], out var token));
            return (a.Url.AbsolutePath.Split('/')[1], token.Action, token.IsReview, token.ReviewFocus);
        });
        Assert.Equal([("act", "approve", false, null), ("review", "review:edit", true, "edit"), ("review", "review:reject", true, "reject")], tokens);
        Assert.Equal(4, links.Actions.Select(a => a.Url).Append(links.Review).Distinct().Count());
    }

    [Fact]
    public void LinkActions_FollowTheStepKind()
    {
        Assert.Equal(["approve", "reject"], LinkActions.For(Task(HumanStepKind.Approval)).Select(a => a.Value));
        Assert.True(LinkActions.For(Task(HumanStepKind.Approval))[1].TakesReason);
        Assert.Equal([("approve", false), ("edit", true)], LinkActions.For(Task(HumanStepKind.Edit)).Select(a => (a.Value, a.OpensReview)));
        var rejectable = Task(HumanStepKind.Edit) with { Details = JsonSerializer.SerializeToElement(new { value = "Draft", allowReject = true }) };
        Assert.Equal([("approve", false), ("edit", true), ("reject", true)], LinkActions.For(rejectable).Select(a => (a.Value, a.OpensReview)));
        Assert.True(LinkActions.For(rejectable)[2].TakesReason);
        Assert.Equal(["fly", "drive"], LinkActions.For(Task(HumanStepKind.Choice) with { Options = ["fly", "drive"] }).Select(a => a.Value));
        Assert.Empty(LinkActions.For(Task(HumanStepKind.Text)));

        var approval = Task(HumanStepKind.Approval);
        Assert.Equal("""{"approved":false,"reason":"too long"}""", LinkActions.Answer(approval, LinkActions.For(approval)[1], "too long").GetRawText());
        Assert.Equal("""{"approved":true}""", LinkActions.Answer(approval, LinkActions.For(approval)[0], " ").GetRawText());
        var edit = Task(HumanStepKind.Edit);
        Assert.Equal("""{"unchanged":true}""", LinkActions.Answer(edit, LinkActions.For(edit)[0], null).GetRawText());
    }

    [Fact]
    public void TryUnprotect_AlteredTruncatedOrForeignText_IsRefused()
    {
        var codec = new LinkTokenCodec(new EphemeralDataProtectionProvider());
        var text = codec.Protect(Token(Start));
        var raw = Base64Url.DecodeFromChars(text);

        Assert.True(codec.TryUnprotect(text, out _));
        for (var i = 0; i < raw.Length; i += 7)
        {
            var altered = (byte[])raw.Clone();
            altered[i] ^= 0x01;
            Assert.False(codec.TryUnprotect(Base64Url.EncodeToString(altered), out _), $"byte {i} altered");
        }

        Assert.False(codec.TryUnprotect(text[..^4], out _));
        Assert.False(codec.TryUnprotect(string.Empty, out _));
        Assert.False(codec.TryUnprotect(null, out _));
        Assert.False(codec.TryUnprotect("not/base64!", out _));
        Assert.False(codec.TryUnprotect(new string('A', LinkTokenCodec.MaxTokenLength + 4), out _));
        Assert.False(new LinkTokenCodec(new EphemeralDataProtectionProvider()).TryUnprotect(text, out _));
        var otherPurpose = new EphemeralDataProtectionProvider().CreateProtector("something else");
        Assert.False(codec.TryUnprotect(Base64Url.EncodeToString(otherPurpose.Protect(raw)), out _));
    }

    [Fact]
    public async Task UsedLinks_OneClaimWinsUntilReleasedOrAbandonedAndTheDecisionIsKept()
    {
        var names = new TaskHubNames("Links" + Guid.NewGuid().ToString("N")[..10]);
        var store = new UsedLinkStore(azurite.CreateFactory().CreateTableServiceClient(), names);
        await store.CreateIfNotExistsAsync();
        var token = Token(Start.AddDays(1));

        var claims = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 5).Select(_ => store.TryClaimAsync(token, Start)));
        Assert.Single(claims, c => c is null);
        Assert.All(claims.Where(c => c is not null), c => Assert.False(c!.Completed));

        await store.ReleaseAsync(token.Id);
        Assert.Null(await store.GetAsync(token.Id));
        Assert.Null(await store.TryClaimAsync(token, Start));
        Assert.NotNull(await store.TryClaimAsync(token, Start.AddMinutes(1)));
        Assert.Null(await store.TryClaimAsync(token, Start + UsedLinkStore.AbandonedClaimAfter + TimeSpan.FromSeconds(1)));

        var decision = JsonSerializer.SerializeToElement(true);
        var used = await store.CompleteAsync(token, decision, "Accepted", "user:alice", Start.AddMinutes(3));
        Assert.True(used.Completed);
        var stored = await store.GetAsync(token.Id);
        Assert.Equal(("true", "Accepted", "user:alice", Start.AddMinutes(3)), (stored!.Decision, stored.Outcome, stored.Respondent, stored.UsedAt));
        Assert.True((await store.TryClaimAsync(token, Start.AddDays(1)))!.Completed);
        await store.ReleaseAsync(token.Id);
        Assert.NotNull(await store.GetAsync(token.Id));
    }

    [Fact]
    public async Task KeyRing_WithACertificate_IsStoredEncrypted_AndOnlyHostsWithTheCertificateReadItsTokens()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=HumanLoop link keys (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(Start.AddDays(-1), Start.AddYears(1));
        var hub = "Links" + Guid.NewGuid().ToString("N")[..10];
        await using var hostA = Host(hub, keyCertificate: certificate);
        await using var hostB = Host(hub, keyCertificate: certificate);
        var token = Token(Start.AddDays(1));

        var fromA = hostA.GetRequiredService<LinkTokenCodec>().Protect(token);
        Assert.True(hostB.GetRequiredService<LinkTokenCodec>().TryUnprotect(fromA, out var readByB));
        Assert.Equal(token, readByB);

        var container = new BlobServiceClient(azurite.Launcher.ConnectionString).GetBlobContainerClient(new TaskHubNames(hub).KeysContainer);
        var keys = new List<string>();
        await foreach (var blob in container.GetBlobsAsync())
        {
            keys.Add((await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString());
        }

        var key = Assert.Single(keys);
        Assert.Contains("EncryptedXmlDecryptor", key, StringComparison.Ordinal);
        Assert.Contains("<EncryptedData", key, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", key, StringComparison.Ordinal);

        // A host of the hub without the certificate cannot read the keys, so not the links either.
        await using var withoutCertificate = Host(hub);
        Assert.False(withoutCertificate.GetRequiredService<LinkTokenCodec>().TryUnprotect(fromA, out _));
    }

    private ServiceProvider Host(string hub, TimeProvider? time = null, Action<ActionLinkOptions>? configure = null, X509Certificate2? keyCertificate = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        var factory = azurite.CreateFactory();
        var humanLoop = services.AddDurableHumanLoop(o =>
        {
            o.HubName = hub;
            o.StorageAccount = factory;
        }).AddActionLinks(configure);
        if (keyCertificate is not null)
        {
            humanLoop.ProtectLinkKeysWithCertificate(keyCertificate);
        }

        return services.BuildServiceProvider();
    }

    private static LinkToken Token(DateTimeOffset expires) => new()
    {
        Id = LinkTokenCodec.NewId(),
        RunId = "run-1",
        RequestId = "run-1:review:1",
        Action = LinkToken.ReviewAction,
        Assignee = "user:alice",
        EscalationLevel = 0,
        IssuedAt = Start,
        ExpiresAt = expires,
    };

    private static HumanTaskRecord Task(HumanStepKind kind) => new()
    {
        RunId = "run-7",
        RequestId = "run-7:review:1",
        Graph = "g",
        Node = "review",
        Kind = kind,
        Prompt = "Check it",
        Assignees = ImmutableArray.Create("user:alice", "role:editor"),
        EscalationLevel = 2,
        OpenedAt = Start,
    };
}
