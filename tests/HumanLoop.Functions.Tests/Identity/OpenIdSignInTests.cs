using System.Security.Cryptography;
using HumanLoop.Durable.Links;
using HumanLoop.Durable.DependencyInjection;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Identity;
using HumanLoop.Functions.Tests.Infrastructure;
using HumanLoop.Functions.Tests.Pages;
using HumanLoop.Durable.HumanTasks;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>
/// The pages' OpenID Connect sign-in with the app's real handler against <see cref="TestOpenIdProvider"/> (discovery,
/// JWKS and token endpoint on Kestrel): the challenge goes to the provider's authorize endpoint, a signed id token
/// signs the reviewer in, and the reviewer answers only their own tasks.
/// </summary>
public sealed class OpenIdSignInTests(OpenIdSignInTests.Fixture app) : IClassFixture<OpenIdSignInTests.Fixture>
{
    [Fact]
    public async Task Inbox_NotSignedIn_GoesToTheChallenge_WhichRedirectsToTheAuthorityWithTheClientIdAndRedirectUri()
    {
        using var timeout = TestTimeout.Start();
        using var browser = app.NewBrowser();

        using var inbox = await browser.GetAsync("/inbox", timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, inbox.StatusCode);
        Assert.Equal("/signin?returnUrl=%2Finbox", inbox.Headers.Location!.OriginalString);

        var query = await ChallengeAsync(browser, timeout.Token);
        Assert.Equal(TestOpenIdProvider.ClientId, query["client_id"]);
        Assert.Equal(new Uri(app.BaseAddress, "/signin-oidc").AbsoluteUri, query["redirect_uri"]);
        Assert.Equal("code", query["response_type"]);
        Assert.True(!query.ContainsKey("response_mode") || query["response_mode"] == "query", "The code comes back in the query, not a cross-site form post.");
        Assert.Equal(["openid", "profile"], query["scope"].ToString().Split(' ').Order(StringComparer.Ordinal));
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(query["state"]));
        Assert.False(string.IsNullOrEmpty(query["nonce"]));
    }

    [Fact]
    public async Task SignIn_WithASignedIdToken_SignsTheReviewerIn_WhoAnswersTheirOwnTaskButNoOneElses()
    {
        using var timeout = TestTimeout.Start(120);
        var title = "budget " + Guid.NewGuid().ToString("N")[..8];
        var (signoffRun, _) = await app.StartWaitingAsync(SignoffGraph.Name, JsonSerializer.Serialize(new { title }), timeout.Token);
        var topic = "oidc" + Guid.NewGuid().ToString("N")[..8];
        var (aliceRun, aliceRequest) = await app.StartWaitingAsync(LinkTestGraphs.Approval, JsonSerializer.Serialize(new { topic }), timeout.Token);
        using var dana = app.NewBrowser();

        var (cookie, code) = await app.SignInAsync(dana, "dana", ["writer"], timeout.Token);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var token = Assert.Single(app.Provider.TokenRequests, r => r.GetValueOrDefault("code") == code);
        Assert.Equal(new Uri(app.BaseAddress, "/signin-oidc").AbsoluteUri, token["redirect_uri"]);
        Assert.Equal("authorization_code", token["grant_type"]);
        Assert.False(string.IsNullOrEmpty(token["code_verifier"]));

        var inbox = await InboxPageTests.GetInboxAsync(dana, string.Empty, timeout.Token);
        Assert.Contains("Signed in as dana", inbox, StringComparison.Ordinal);
        Assert.Contains($"Sign off {title}?", inbox, StringComparison.Ordinal);
        Assert.DoesNotContain($"Publish the piece about {topic}?", inbox, StringComparison.Ordinal);
        Assert.Contains("action=\"/signout\"", inbox, StringComparison.Ordinal);

        // Her own task: the inbox's review link answers it, in her name.
        var review = InboxPageTests.ReviewLinkFor(inbox, $"Sign off {title}?");
        var page = await dana.GetStringAsync(review, timeout.Token);
        using (var answer = await dana.PostAsync(review, Form(page, ("decision", "yes")), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var signed = await app.Client.WaitForFinishedAsync(signoffRun, timeout.Token);
        Assert.Equal("user:dana", signed.GetProperty("output").GetProperty("by").GetString());

        // Alice's task: her link, opened while Dana is signed in, and the API with Dana's cookie are refused.
        var links = app.Services.GetRequiredService<IActionLinks>().Create(
            (await app.Services.GetRequiredService<HumanTaskStore>().GetAsync(aliceRun, aliceRequest, timeout.Token))!, "user:alice");
        using (var get = await dana.GetAsync(links.Actions[0].Url.AbsolutePath, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Contains("You are signed in as user:dana, who is not an assignee of this task", await get.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }

        using (var post = await dana.PostAsync(links.Actions[0].Url.AbsolutePath, Form(page, ("decision", "approve")), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        using (var api = await dana.PostAsync(
            $"/api/runs/{aliceRun}/requests/{Uri.EscapeDataString(aliceRequest)}/respond", ApiClient.Json("""{"answer": "approve"}"""), timeout.Token))
        {
            var problem = await ApiClient.AssertProblemAsync(api, HttpStatusCode.Forbidden, timeout.Token);
            Assert.Equal($"'user:dana' is not an assignee of request '{aliceRequest}' (assigned to user:alice).", problem.GetProperty("detail").GetString());
        }

        var (status, body) = await app.Client.GetStatusAsync(aliceRun, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(0, body.GetProperty("customStatus").GetProperty("openRequests")[0].GetProperty("attempts").GetInt32());
        using var audit = await app.Client.GetAsync($"/api/runs/{aliceRun}/audit", timeout.Token);
        var refused = (await ApiClient.ReadJsonAsync(audit, timeout.Token)).EnumerateArray().Where(e => e.GetProperty("outcome").GetString() == "Forbidden").ToList();
        Assert.Equal(["email", "http"], refused.Select(e => e.GetProperty("channel").GetString()).Order(StringComparer.Ordinal));
        Assert.All(refused, e => Assert.Equal("user:dana", e.GetProperty("respondent").GetString()));
    }

    [Fact]
    public async Task SignIn_WithAnIdTokenSignedByAnotherKey_FailsWithAPage_AndSignsNobodyIn()
    {
        using var timeout = TestTimeout.Start();
        using var browser = app.NewBrowser();
        using var forger = RSA.Create(2048);
        var query = await ChallengeAsync(browser, timeout.Token);
        var code = app.Provider.IssueCode("dana", [], query["nonce"]!, signWith: forger);

        using var callback = await browser.GetAsync($"/signin-oidc?code={code}&state={Uri.EscapeDataString(query["state"]!)}", timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.Contains("Sign-in failed", await callback.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        Assert.False(callback.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(OpenIdSignIn.CookieName + "=", StringComparison.Ordinal)));

        using var inbox = await browser.GetAsync("/inbox", timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, inbox.StatusCode);
    }

    private async Task<Dictionary<string, Microsoft.Extensions.Primitives.StringValues>> ChallengeAsync(HttpClient browser, CancellationToken cancellationToken) =>
        await Fixture.ChallengeAsync(browser, app.Provider.AuthorizeEndpoint, cancellationToken);

    private static FormUrlEncodedContent Form(string page, params (string Name, string Value)[] fields) =>
        new([new("__RequestVerificationToken", LinkPagesFixture.AntiforgeryToken(page)), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);

    /// <summary>The provider and the real app on its own Azurite, signing in through it; the signoff and link-approval graphs registered.</summary>
    public sealed class Fixture(IMessageSink messageSink) : IAsyncLifetime
    {
        private AppOnAzurite? _app;

        internal TestOpenIdProvider Provider { get; private set; } = null!;

        public Uri BaseAddress => _app!.BaseAddress;

        public IServiceProvider Services => _app!.Services;

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            using var timeout = TestTimeout.Start(300);
            Provider = await TestOpenIdProvider.StartAsync();
            _app = await AppOnAzurite.StartAsync(
                "Oidc" + Guid.NewGuid().ToString("N")[..12],
                messageSink,
                new Dictionary<string, string?>
                {
                    [AppSettings.AuthAuthority] = Provider.Authority.AbsoluteUri,
                    [AppSettings.AuthClientId] = TestOpenIdProvider.ClientId,
                    [AppSettings.AuthClientSecret] = TestOpenIdProvider.ClientSecret,
                    [AppSettings.AuthRequireHttpsMetadata] = "false",
                },
                builder => builder.Services.AddDurableHumanLoop().AddGraph(SignoffGraph.Build()).AddGraph(LinkTestGraphs.BuildApproval()),
                timeout.Token);
            Client = _app.NewClient();
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }

            if (Provider is not null)
            {
                await Provider.DisposeAsync();
            }
        }

        /// <summary>A client that keeps its own cookies, as one browser does, and does not follow redirects.</summary>
        public HttpClient NewBrowser() => new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

        /// <summary>Signs <paramref name="user"/> in through the provider, as its authorize step would: returns the sign-in cookie's header and the code redeemed.</summary>
        public async Task<(string Cookie, string Code)> SignInAsync(HttpClient browser, string user, string[] roles, CancellationToken cancellationToken)
        {
            var query = await ChallengeAsync(browser, Provider.AuthorizeEndpoint, cancellationToken);
            var code = Provider.IssueCode(user, roles, query["nonce"]!);
            using var callback = await browser.GetAsync($"/signin-oidc?code={code}&state={Uri.EscapeDataString(query["state"]!)}", cancellationToken);
            Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"{(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync(cancellationToken)}");
            Assert.Equal("/inbox", callback.Headers.Location!.OriginalString);
            return (callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(OpenIdSignIn.CookieName + "=", StringComparison.Ordinal)), code);
        }

        /// <summary>Starts a run over HTTP and waits for its request.</summary>
        public async Task<(string RunId, string RequestId)> StartWaitingAsync(string graph, string input, CancellationToken cancellationToken)
        {
            var id = ApiClient.NewId(graph);
            using var started = await Client.StartAsync(graph, id, input, cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var requestId = await Client.WaitForOpenRequestAsync(id, cancellationToken);

            // The row is stored by the node activity before the request; the run lists it a moment later or earlier.
            while (await Services.GetRequiredService<HumanTaskStore>().GetAsync(id, requestId, cancellationToken) is null)
            {
                await Task.Delay(50, cancellationToken);
            }

            return (id, requestId);
        }

        /// <summary>Asks for the sign-in; asserts the redirect goes to <paramref name="authorize"/> and returns its query.</summary>
        internal static async Task<Dictionary<string, Microsoft.Extensions.Primitives.StringValues>> ChallengeAsync(HttpClient browser, Uri authorize, CancellationToken cancellationToken)
        {
            using var challenge = await browser.GetAsync("/signin?returnUrl=%2Finbox", cancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
            var location = challenge.Headers.Location!;
            Assert.Equal(authorize.AbsoluteUri, location.GetLeftPart(UriPartial.Path));
            return QueryHelpers.ParseQuery(location.Query);
        }
    }
}
