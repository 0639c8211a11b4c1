using Microsoft.AspNetCore.Authentication;

namespace HumanLoop.Functions.Identity;

/// <summary>Who is signed in on the pages: the request's user, else the OpenID Connect sign-in's cookie, else the development sign-in's.</summary>
internal static class ReviewerSignIn
{
    /// <summary>
    /// The signed-in reviewer, or null. The request's user is set to the principal that named them, so the pages and the
    /// API see the same person.
    /// </summary>
    /// <param name="context">The request.</param>
    public static async Task<Reviewer?> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Reviewer.From(context.User) is { } reviewer)
        {
            return reviewer;
        }

        foreach (var scheme in Schemes(context))
        {
            var result = await context.AuthenticateAsync(scheme);
            if (result.Succeeded && Reviewer.From(result.Principal) is { } signedIn)
            {
                context.User = result.Principal!;
                return signedIn;
            }
        }

        return null;
    }

    /// <summary>Where a reviewer who is not signed in goes to sign in, or null when the app has no sign-in for people.</summary>
    /// <param name="context">The request.</param>
    /// <param name="returnUrl">The local URL to come back to.</param>
    public static string? SignInUrl(HttpContext context, string returnUrl)
    {
        var path = OpenIdSignIn.IsEnabled(context) ? OpenIdSignIn.SignInPath
            : DevelopmentSignIn.IsEnabled(context) ? DevelopmentSignIn.SignInPath
            : null;
        return path is null ? null : $"{context.Request.PathBase}{path}?returnUrl={Uri.EscapeDataString(returnUrl)}";
    }

    private static IEnumerable<string> Schemes(HttpContext context)
    {
        if (OpenIdSignIn.IsEnabled(context))
        {
            yield return OpenIdSignIn.CookieScheme;
        }

        if (DevelopmentSignIn.IsEnabled(context))
        {
            yield return DevelopmentSignIn.Scheme;
        }
    }
}
