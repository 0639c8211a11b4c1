using HumanLoop.Functions.Identity;
using Microsoft.AspNetCore.Http.Features;

namespace HumanLoop.Functions.Pages;

/// <summary>Registers and maps the app's own pages: the review and confirm pages of links, the inbox, the OpenID Connect and development sign-ins, and their style sheet.</summary>
internal static class HumanLoopPages
{
    /// <summary>The antiforgery cookie's name.</summary>
    public const string AntiforgeryCookieName = "HumanLoop.Antiforgery";

    /// <summary>Registers what the pages need: antiforgery (cookies HttpOnly, SameSite=Strict, Secure over HTTPS), the link checks, the sign-ins.</summary>
    /// <param name="services">The services (the hub's action links must be registered too).</param>
    /// <param name="configuration">Where the development sign-in's setting is read.</param>
    public static IServiceCollection AddHumanLoopPages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = AntiforgeryCookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.Configure<FormOptions>(options =>
        {
            options.ValueCountLimit = 64;
            options.KeyLengthLimit = 256;
        });
        services.AddSingleton<LinkGate>();
        services.AddSingleton<LinkDesk>();
        services.AddDevelopmentSignIn(configuration);
        services.AddOpenIdSignIn(configuration);
        return services;
    }

    /// <summary>Maps every page.</summary>
    /// <param name="routes">The app.</param>
    public static IEndpointRouteBuilder MapHumanLoopPages(this IEndpointRouteBuilder routes)
    {
        routes.MapPageAssets();
        routes.MapLinkPages();
        routes.MapInboxPage();
        routes.MapDevelopmentSignIn();
        routes.MapOpenIdSignIn();
        routes.MapChatPage();
        return routes;
    }
}
