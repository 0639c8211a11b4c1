using System.Security.Claims;
using HumanLoop.Functions.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// The local development sign-in: <c>GET /signin/dev</c> shows a form for a user name and roles, <c>POST</c> signs that
/// person in with a cookie (no password: anyone who reaches the page can be anyone). It is off unless
/// <c>HumanLoop:Auth:DevelopmentSignIn</c> is <c>true</c>; off, its pages answer 404 and its scheme is not registered.
/// Never turn it on where other people can reach the app.
/// </summary>
internal static partial class DevelopmentSignIn
{
    /// <summary>The cookie authentication scheme.</summary>
    public const string Scheme = "HumanLoop.DevelopmentSignIn";

    /// <summary>The setting that turns it on (default false).</summary>
    public const string EnabledSetting = "HumanLoop:Auth:DevelopmentSignIn";

    /// <summary>The sign-in page.</summary>
    public const string SignInPath = "/signin/dev";

    /// <summary>The sign-out endpoint (POST).</summary>
    public const string SignOutPath = "/signout/dev";

    /// <summary>The cookie's name.</summary>
    public const string CookieName = "HumanLoop.DevSignIn";

    private const int MaxNameLength = 64;

    /// <summary>Registers the cookie scheme when the setting is on.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Where the setting is read.</param>
    public static IServiceCollection AddDevelopmentSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        var enabled = configuration.GetValue(EnabledSetting, defaultValue: false);
        services.AddSingleton(new DevelopmentSignInSetting(enabled));
        if (enabled)
        {
            services.AddAuthentication().AddCookie(Scheme, options => SignInCookie.Configure(options, CookieName, SameSiteMode.Strict, SignInPath));
        }

        return services;
    }

    /// <summary>Maps the sign-in and sign-out endpoints (404 pages when the setting is off).</summary>
    /// <param name="routes">The app.</param>
    public static IEndpointRouteBuilder MapDevelopmentSignIn(this IEndpointRouteBuilder routes)
    {
        var enabled = routes.ServiceProvider.GetRequiredService<DevelopmentSignInSetting>().Enabled;
        if (enabled)
        {
            LogEnabled(routes.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DevelopmentSignIn).FullName!), EnabledSetting);
        }

        routes.MapGet(SignInPath, (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            enabled ? Form(context, antiforgery, returnUrl, null, null, null, StatusCodes.Status200OK) : NotFound()).ExcludeFromDescription();
        routes.MapPost(SignInPath, (HttpContext context, IAntiforgery antiforgery) => enabled ? SignInAsync(context, antiforgery) : Task.FromResult<IResult>(NotFound())).ExcludeFromDescription();
        routes.MapPost(SignOutPath, async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!enabled)
            {
                return NotFound();
            }

            if (!await IsValidPostAsync(context, antiforgery))
            {
                return Form(context, antiforgery, null, null, null, "The form had expired; sign out again.", StatusCodes.Status400BadRequest);
            }

            await context.SignOutAsync(Scheme);
            return Results.Redirect(context.Request.PathBase + SignInPath);
        }).ExcludeFromDescription();
        return routes;
    }

    /// <summary>Whether the development sign-in is on in this app.</summary>
    /// <param name="context">The request.</param>
    public static bool IsEnabled(HttpContext context) => context.RequestServices.GetRequiredService<DevelopmentSignInSetting>().Enabled;

    /// <summary>A local URL to return to (a path on this site), or <c>/inbox</c>.</summary>
    /// <param name="returnUrl">The requested return URL.</param>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 1 and <= 2048 } url && url[0] == '/' && url[1] is not ('/' or '\\') && !url.Contains('\\', StringComparison.Ordinal)
            && Uri.TryCreate(url, UriKind.Relative, out _)
            ? url
            : InboxPage.Path;

    private static async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType)
        {
            return Form(context, antiforgery, null, null, null, "Sign in with the form.", StatusCodes.Status400BadRequest);
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return Form(context, antiforgery, null, null, null, "The form could not be read.", StatusCodes.Status400BadRequest);
        }

        var user = form["user"].FirstOrDefault()?.Trim();
        var rolesText = form["roles"].FirstOrDefault();
        var returnUrl = form["returnUrl"].FirstOrDefault();
        if (!await IsValidPostAsync(context, antiforgery))
        {
            return Form(context, antiforgery, returnUrl, user, rolesText, "The form had expired or did not come from this page; sign in again.", StatusCodes.Status400BadRequest);
        }

        var roles = (rolesText ?? string.Empty).Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var problem = NameProblem("user name", user) ?? roles.Select(r => NameProblem("role", r)).FirstOrDefault(p => p is not null);
        if (problem is not null)
        {
            return Form(context, antiforgery, returnUrl, user, rolesText, problem, StatusCodes.Status400BadRequest);
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user!) };
        claims.AddRange(roles.Distinct(StringComparer.OrdinalIgnoreCase).Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, ClaimTypes.Name, ClaimTypes.Role));
        await context.SignInAsync(Scheme, principal);
        return Results.Redirect(context.Request.PathBase + SafeReturnUrl(returnUrl));
    }

    private static async Task<bool> IsValidPostAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static string? NameProblem(string what, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return $"Enter a {what}.";
        }

        if (name.Length > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            return $"A {what} has at most {MaxNameLength} letters, digits and '.', '_', '-', '@'.";
        }

        return null;
    }

    private static PageResult Form(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? user, string? roles, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = new Html()
            .Element("p", "Local development sign-in: no password is asked. It is on because " + EnabledSetting + " is true; never enable it where others can reach the app.", "notice")
            .Raw("<form class=\"answer\" method=\"post\"").Attribute("action", context.Request.PathBase + SignInPath).Raw(">")
            .Hidden(tokens.FormFieldName, tokens.RequestToken)
            .Hidden("returnUrl", SafeReturnUrl(returnUrl));
        if (error is not null)
        {
            body.Raw("<p class=\"error\" role=\"alert\" id=\"error\">").Text(error).Raw("</p>");
        }

        body.Raw("<label for=\"user\">User name</label><input type=\"text\" id=\"user\" name=\"user\" autocomplete=\"username\"").Attribute("value", user).Raw(">")
            .Raw("<label for=\"roles\">Roles (comma-separated)</label><input type=\"text\" id=\"roles\" name=\"roles\"").Attribute("value", roles).Raw(">")
            .Raw("<div class=\"buttons\"><button type=\"submit\" id=\"signin\">Sign in</button></div></form>");
        return new PageResult(status, "Sign in (development)", body);
    }

    private static PageResult NotFound() =>
        new(StatusCodes.Status404NotFound, "Not found", new Html().Element("p", "There is no page here."));

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The development sign-in is on ({Setting}): anyone who reaches /signin/dev can sign in as anyone")]
    private static partial void LogEnabled(ILogger logger, string setting);
}

/// <summary>Whether the development sign-in is on.</summary>
/// <param name="Enabled">The setting's value.</param>
internal sealed record DevelopmentSignInSetting(bool Enabled);
