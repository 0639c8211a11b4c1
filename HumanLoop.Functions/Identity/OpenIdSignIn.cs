using System.Security.Claims;
using HumanLoop.Functions.Hosting;
using HumanLoop.Functions.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// The pages' interactive sign-in with the organisation's OpenID Connect provider: <c>GET /signin</c> sends the reviewer
/// to the provider (authorization code flow with PKCE, the response in the query), the provider sends them back to
/// <c>/signin-oidc</c>, and a cookie (<see cref="CookieName"/>) keeps them signed in; <c>POST /signout</c> ends it. On when
/// <c>HumanLoop:Auth:Authority</c> and <c>HumanLoop:Auth:ClientId</c> are set; off, <c>/signin</c> answers 404.
/// </summary>
internal static partial class OpenIdSignIn
{
    /// <summary>The provider's scheme.</summary>
    public const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;

    /// <summary>The cookie scheme a sign-in is kept in.</summary>
    public const string CookieScheme = "HumanLoop.SignIn";

    /// <summary>The cookie's name.</summary>
    public const string CookieName = "HumanLoop.SignIn";

    /// <summary>The sign-in page (a redirect to the provider).</summary>
    public const string SignInPath = "/signin";

    /// <summary>The sign-out endpoint (POST).</summary>
    public const string SignOutPath = "/signout";

    /// <summary>The default path the provider sends the reviewer back to.</summary>
    public const string DefaultCallbackPath = "/signin-oidc";

    /// <summary>The claim types the signed-in principal holds: the user name and the roles (see <see cref="Reviewer"/>).</summary>
    private const string UserClaim = "preferred_username";

    private const string RolesClaim = "roles";

    private static readonly string[] DefaultUserClaims = ["preferred_username", "name", "sub"];

    /// <summary>Whether the settings turn the sign-in on.</summary>
    /// <param name="configuration">The app's configuration.</param>
    public static bool IsEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[AppSettings.AuthAuthority]) && !string.IsNullOrWhiteSpace(configuration[AppSettings.AuthClientId]);

    /// <summary>Registers the provider and cookie schemes when the settings turn them on.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Where the <c>HumanLoop:Auth</c> settings are read.</param>
    /// <exception cref="InvalidOperationException">A setting is malformed; the message names it.</exception>
    public static IServiceCollection AddOpenIdSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        var enabled = IsEnabled(configuration);
        services.AddSingleton(new OpenIdSignInSetting(enabled));
        if (!enabled)
        {
            return services;
        }

        var authority = configuration[AppSettings.AuthAuthority]!.Trim();
        if (!Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthAuthority}' must be an absolute URL, not '{authority}'.");
        }

        var callbackPath = configuration[AppSettings.AuthCallbackPath] is { Length: > 0 } path ? path.Trim() : DefaultCallbackPath;
        if (!callbackPath.StartsWith('/') || callbackPath.StartsWith("//", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthCallbackPath}' must be a path starting with '/', not '{callbackPath}'.");
        }

        var scopes = (configuration[AppSettings.AuthScopes] ?? "openid profile")
            .Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var userClaims = configuration[AppSettings.AuthUserClaimType] is { Length: > 0 } claim ? [claim.Trim()] : DefaultUserClaims;
        var roleClaims = new List<string> { "roles", "role" };
        if (configuration[AppSettings.AuthRoleClaimType] is { Length: > 0 } roleClaim)
        {
            roleClaims.Add(roleClaim.Trim());
        }

        services.AddAuthentication()
            // Lax, not Strict: a link opened from a mail client is a cross-site navigation that must still carry it.
            .AddCookie(CookieScheme, options => SignInCookie.Configure(options, CookieName, SameSiteMode.Lax, SignInPath))
            .AddOpenIdConnect(Scheme, options =>
            {
                options.Authority = authority;
                options.ClientId = configuration[AppSettings.AuthClientId]!.Trim();
                options.ClientSecret = string.IsNullOrWhiteSpace(configuration[AppSettings.AuthClientSecret]) ? null : configuration[AppSettings.AuthClientSecret];
                options.RequireHttpsMetadata = configuration.GetValue(AppSettings.AuthRequireHttpsMetadata, defaultValue: true);
                options.CallbackPath = callbackPath;
                options.SignInScheme = CookieScheme;
                options.ResponseType = OpenIdConnectResponseType.Code;

                // The code comes back in the query of a top-level GET, so the correlation and nonce cookies can be Lax
                // (a form post from the provider is cross-site and would need SameSite=None, which needs HTTPS).
                options.ResponseMode = OpenIdConnectResponseMode.Query;
                options.UsePkce = true;
                options.SaveTokens = false;
                options.MapInboundClaims = false;
                options.GetClaimsFromUserInfoEndpoint = false;
                options.CorrelationCookie.SameSite = SameSiteMode.Lax;
                options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.NonceCookie.SameSite = SameSiteMode.Lax;
                options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.Scope.Clear();
                options.Scope.Add("openid");
                foreach (var scope in scopes.Where(s => s != "openid"))
                {
                    options.Scope.Add(scope);
                }

                options.TokenValidationParameters.NameClaimType = UserClaim;
                options.TokenValidationParameters.RoleClaimType = RolesClaim;
                options.Events = new OpenIdConnectEvents
                {
                    OnTokenValidated = context =>
                    {
                        if (Normalize(context.Principal, userClaims, roleClaims) is { } principal)
                        {
                            context.Principal = principal;
                        }
                        else
                        {
                            context.Fail($"The provider's token names no user (none of the claims {string.Join(", ", userClaims)}).");
                        }

                        return Task.CompletedTask;
                    },
                    OnRemoteFailure = async context =>
                    {
                        context.HandleResponse();
                        LogFailed(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpenIdSignIn).FullName!), context.Failure);
                        await new PageResult(
                            StatusCodes.Status400BadRequest,
                            "Sign-in failed",
                            new Html().Element("p", "The sign-in with your organisation's provider did not complete, so you are not signed in. Sign in again from the start.", "notice")
                                .Raw("<p><a").Attribute("href", context.Request.PathBase + SignInPath).Raw(">Sign in</a></p>"))
                            .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
                    },
                };
            });
        return services;
    }

    /// <summary>Maps <c>GET /signin</c> and <c>POST /signout</c> (404 pages when the sign-in is off).</summary>
    /// <param name="routes">The app.</param>
    public static IEndpointRouteBuilder MapOpenIdSignIn(this IEndpointRouteBuilder routes)
    {
        var enabled = routes.ServiceProvider.GetRequiredService<OpenIdSignInSetting>().Enabled;
        routes.MapGet(SignInPath, (HttpContext context, string? returnUrl) => enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = context.Request.PathBase + DevelopmentSignIn.SafeReturnUrl(returnUrl) }, [Scheme])
            : NotFound()).ExcludeFromDescription();
        routes.MapPost(SignOutPath, async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!enabled)
            {
                return NotFound();
            }

            try
            {
                await antiforgery.ValidateRequestAsync(context);
            }
            catch (AntiforgeryValidationException)
            {
                return new PageResult(StatusCodes.Status400BadRequest, "Sign out", new Html().Element("p", "The form had expired; sign out again from the inbox.", "error"));
            }

            await context.SignOutAsync(CookieScheme);
            context.User = new ClaimsPrincipal(new ClaimsIdentity());
            return new PageResult(StatusCodes.Status200OK, "Signed out", new Html().Element("p", "You are signed out of HumanLoop.", "notice"));
        }).ExcludeFromDescription();
        return routes;
    }

    /// <summary>Whether the sign-in is on in this app.</summary>
    /// <param name="context">The request.</param>
    public static bool IsEnabled(HttpContext context) => context.RequestServices.GetRequiredService<OpenIdSignInSetting>().Enabled;

    // The cookie keeps what HumanLoop reads (user name, roles, subject), not the provider's whole token.
    private static ClaimsPrincipal? Normalize(ClaimsPrincipal? principal, IReadOnlyList<string> userClaims, IReadOnlyList<string> roleClaims)
    {
        var user = userClaims.Select(t => principal?.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (principal is null || user is null)
        {
            return null;
        }

        var claims = new List<Claim> { new(UserClaim, user.Trim()) };
        if (principal.FindFirst("sub")?.Value is { Length: > 0 } subject)
        {
            claims.Add(new Claim("sub", subject));
        }

        claims.AddRange(principal.Claims.Where(c => roleClaims.Contains(c.Type, StringComparer.Ordinal) && !string.IsNullOrWhiteSpace(c.Value))
            .Select(c => c.Value.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Select(r => new Claim(RolesClaim, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, UserClaim, RolesClaim));
    }

    private static PageResult NotFound() =>
        new(StatusCodes.Status404NotFound, "Not found", new Html().Element("p", "There is no page here."));

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "An OpenID Connect sign-in failed")]
    private static partial void LogFailed(ILogger logger, Exception? exception);
}

/// <summary>Whether the OpenID Connect sign-in is on.</summary>
/// <param name="Enabled">Whether the settings turn it on.</param>
internal sealed record OpenIdSignInSetting(bool Enabled);
