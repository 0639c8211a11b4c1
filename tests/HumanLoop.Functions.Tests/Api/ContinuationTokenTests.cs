using System.Buffers.Text;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Api;

/// <summary>
/// List continuation tokens are authenticated: only a token issued with this host's key is accepted; with
/// <c>HumanLoop__Http__ContinuationTokenKey</c> set, that is every host of the hub.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ContinuationTokenTests(HumanLoopAppFixture fixture)
{
    private const string Header = "x-ms-continuation-token";
    private const string NotIssued = "The x-ms-continuation-token header is not a continuation token this API issued.";
    private const string SharedKey = "a-shared-continuation-secret-0123456789";
    private readonly HttpClient _client = fixture.Client;

    [Theory]
    [InlineData("hl1.MSExc29tZSFzdG9yZSF0b2tlbg")]
    [InlineData("hl2.MSExc29tZSFzdG9yZSF0b2tlbg")]
    [InlineData("hl2.MSExc29tZSFzdG9yZSF0b2tlbg.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("hl2..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task List_ForgedToken_Returns400Problem(string token)
    {
        using var timeout = TestTimeout.Start();

        using var response = await ListAsync(_client, "?top=1", token, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal(NotIssued, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task List_AlteredOrTruncatedToken_Returns400ProblemWhileTheIssuedOneWorks()
    {
        using var timeout = TestTimeout.Start();
        var prefix = "tok" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            await _client.StartTravelAsync(timeout.Token, id: $"{prefix}-{i}");
        }

        var query = $"?instanceIdPrefix={prefix}&top=1";
        var token = await FirstTokenAsync(_client, query, timeout.Token);
        var dot = token.LastIndexOf('.');
        var payload = Base64Url.DecodeFromChars(token.AsSpan(4, dot - 4));
        payload[^1] ^= 1;
        string[] forgeries =
        [
            token[..4] + Base64Url.EncodeToString(payload) + token[dot..],
            token[..(dot + 5)] + (token[dot + 5] == 'x' ? 'y' : 'x') + token[(dot + 6)..],
            token[..^1] + FlipLowestBit(token[^1]),
            token[..^1],
            token[..dot],
            token + "A",
            token.Replace("hl2.", "hl1.", StringComparison.Ordinal),
        ];

        foreach (var forged in forgeries)
        {
            using var response = await ListAsync(_client, query, forged, timeout.Token);
            var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
            Assert.Equal(NotIssued, problem.GetProperty("detail").GetString());
        }

        using var genuine = await ListAsync(_client, query, token, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
    }

    [Fact]
    public async Task List_TokenFromAnotherHostWithTheSameKey_IsAcceptedAndFromAHostWithItsOwnKeyIsNot()
    {
        using var timeout = TestTimeout.Start(120);
        var hub = "Tok" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?> { [AppSettings.ContinuationTokenKey] = SharedKey };
        await using var first = HumanLoopAppFixture.StartApp(["--urls", "http://127.0.0.1:0"], fixture.ConnectionString, hub, new Xunit.Sdk.NullMessageSink(), settings);
        await using var second = HumanLoopAppFixture.StartApp(["--urls", "http://127.0.0.1:0"], fixture.ConnectionString, hub, new Xunit.Sdk.NullMessageSink(), settings);
        await first.StartAsync(timeout.Token);
        await second.StartAsync(timeout.Token);
        using var firstClient = new HttpClient { BaseAddress = new Uri(first.Urls.Single()) };
        using var secondClient = new HttpClient { BaseAddress = new Uri(second.Urls.Single()) };
        var prefix = "share" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            await firstClient.StartTravelAsync(timeout.Token, id: $"{prefix}-{i}");
        }

        var query = $"?instanceIdPrefix={prefix}&top=1";
        var token = await FirstTokenAsync(firstClient, query, timeout.Token);

        using (var onSecond = await ListAsync(secondClient, query, token, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, onSecond.StatusCode);
        }

        // The shared fixture's host has no key set, so its own random key does not verify the others' tokens.
        using var onFixture = await ListAsync(_client, query, token, timeout.Token);
        var problem = await ApiClient.AssertProblemAsync(onFixture, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Equal(NotIssued, problem.GetProperty("detail").GetString());
        await first.StopAsync(timeout.Token);
        await second.StopAsync(timeout.Token);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("   only-13-chars   ")]
    public void Create_ContinuationTokenKeyTooShort_ThrowsNamingTheSetting(string key)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => HumanLoopAppFixture.StartApp(
            ["--urls", "http://127.0.0.1:0"], fixture.ConnectionString, fixture.HubName, new Xunit.Sdk.NullMessageSink(),
            new Dictionary<string, string?> { [AppSettings.ContinuationTokenKey] = key }));

        Assert.Contains(AppSettings.ContinuationTokenKey, ex.Message, StringComparison.Ordinal);
        Assert.Contains("at least 16 characters", ex.Message, StringComparison.Ordinal);
    }

    // The signature's last base64 character carries bits no byte uses: flipping one spells the same bytes differently.
    private static char FlipLowestBit(char c)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return Alphabet[Alphabet.IndexOf(c, StringComparison.Ordinal) ^ 1];
    }

    private static async Task<HttpResponseMessage> ListAsync(HttpClient client, string query, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiClient.InstancesPath + query);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation(Header, token);
        }

        return await client.SendAsync(request, cancellationToken);
    }

    // A page may be empty and still have a token, and the last page has none; with three runs and pages of one, the first page has one.
    private static async Task<string> FirstTokenAsync(HttpClient client, string query, CancellationToken cancellationToken)
    {
        using var response = await ListAsync(client, query, null, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = Assert.Single(response.Headers.GetValues(Header));
        Assert.StartsWith("hl2.", token, StringComparison.Ordinal);
        return token;
    }
}
