using HumanLoop.Functions.Tests.Infrastructure;

namespace HumanLoop.Functions.Tests.Pages;

/// <summary>The shared app has no HumanLoop:Auth:DevelopmentSignIn: the sign-in does not exist and the inbox asks for a sign-in.</summary>
[Collection(AppCollection.Name)]
public sealed class DevelopmentSignInOffTests(HumanLoopAppFixture app)
{
    [Fact]
    public async Task SignInPages_SettingOff_Return404AndTheInbox401()
    {
        using var timeout = TestTimeout.Start();

        using var get = await app.Client.GetAsync("/signin/dev", timeout.Token);
        using var post = await app.Client.PostAsync("/signin/dev", new FormUrlEncodedContent([new("user", "eve")]), timeout.Token);
        using var signOut = await app.Client.PostAsync("/signout/dev", new FormUrlEncodedContent([]), timeout.Token);
        using var inbox = await app.Client.GetAsync("/inbox", timeout.Token);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, signOut.StatusCode);
        Assert.False(post.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpStatusCode.Unauthorized, inbox.StatusCode);
        LinkPagesTests.AssertPageHeaders(inbox);
        Assert.Contains("Sign in required", await inbox.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }
}
