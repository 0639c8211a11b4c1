using System.Security.Cryptography;
using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Identity;

/// <summary>Bearer tokens on the answer endpoints: a bad token is a 401 problem saying what is wrong, never a 500, and changes nothing.</summary>
[Collection(IdentityCollection.Name)]
public sealed class BearerTokenTests(IdentityAppFixture app)
{
    public static TheoryData<string> Paths => new()
    {
        "/api/runs/{0}/requests/{1}/respond",
        "/api/runs/{0}/requests/{1}/responses",
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Answer_WithAForgedSignature_Returns401ProblemAndTheRequestStaysOpen(string path)
    {
        using var timeout = TestTimeout.Start();
        var (runId, requestId) = await app.StartWaitingAsync("travel", """{"destination":"Oslo"}""", timeout.Token);
        using var other = RSA.Create(2048);
        using var client = app.Client(token: app.Token("mallory", ["traveller"], signWith: other));

        using var response = await client.PostAsync(Format(path, runId, requestId), ApiClient.Json("""{"answer":"fly"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("The bearer token's signature is not valid.", problem.GetProperty("detail").GetString());
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(requestId, await app.Admin.WaitForOpenRequestAsync(runId, timeout.Token));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Answer_WithAnExpiredToken_Returns401SayingItExpired(string path)
    {
        using var timeout = TestTimeout.Start();
        using var client = app.Client(token: app.Token("ann", ["traveller"], expires: TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-1)));

        using var response = await client.PostAsync(Format(path, "some-run", "choose_mode"), ApiClient.Json("""{"answer":"fly"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("The bearer token has expired.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Answer_WithATokenForAnotherAudience_Returns401(string path)
    {
        using var timeout = TestTimeout.Start();
        using var client = app.Client(token: app.Token("ann", ["traveller"], audience: "another-api"));

        using var response = await client.PostAsync(Format(path, "some-run", "choose_mode"), ApiClient.Json("""{"answer":"fly"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("The bearer token was not issued for this API (its audience does not match).", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Answer_WithATokenFromAnotherIssuer_Returns401()
    {
        using var timeout = TestTimeout.Start();
        using var client = app.Client(token: app.Token("ann", ["traveller"], issuer: "https://evil.test/"));

        using var response = await client.PostAsync("/api/runs/some-run/requests/choose_mode/respond", ApiClient.Json("""{"answer":"fly"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Equal("The bearer token's issuer is not trusted.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("Bearer not-a-token")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]
    [InlineData("Bearer !!!!")]
    public async Task Answer_WithAMalformedToken_Returns401ProblemNot500(string authorization)
    {
        using var timeout = TestTimeout.Start();
        using var client = app.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs/some-run/requests/choose_mode/responses") { Content = ApiClient.Json("""{"answer":"fly"}""") };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await client.SendAsync(request, timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.StartsWith("The bearer token", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Management_WithAValidPersonToken_Returns401_PeopleOnlyAnswer()
    {
        using var timeout = TestTimeout.Start();
        using var client = app.Client(token: app.Token("ann", ["traveller"]));

        using var response = await client.PostAsync("/api/orchestrators/travel", ApiClient.Json("""{"destination":"Rome"}"""), timeout.Token);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, timeout.Token);
        Assert.Contains("x-functions-key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static string Format(string path, string runId, string requestId) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Uri.EscapeDataString(runId), Uri.EscapeDataString(requestId));
}
