using Microsoft.AspNetCore.Authentication.Cookies;

namespace HumanLoop.Functions.Identity;

/// <summary>The cookie a reviewer's sign-in is kept in: HttpOnly, Secure over HTTPS, 8 hours, renewed while in use.</summary>
internal static class SignInCookie
{
    /// <summary>The longest a sign-in lasts without a request.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>Sets a cookie scheme's options.</summary>
    /// <param name="options">The scheme's options.</param>
    /// <param name="name">The cookie's name.</param>
    /// <param name="sameSite">Its SameSite mode.</param>
    /// <param name="loginPath">Where a challenge sends someone not signed in.</param>
    public static void Configure(CookieAuthenticationOptions options, string name, SameSiteMode sameSite, string loginPath)
    {
        options.Cookie.Name = name;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = sameSite;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.LoginPath = loginPath;
        options.ExpireTimeSpan = Lifetime;
        options.SlidingExpiration = true;
    }
}
