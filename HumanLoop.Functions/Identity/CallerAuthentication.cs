using HumanLoop.Functions.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// Who may call the answer endpoints (the human-request API and the callback API): systems with an API key, and people
/// with any sign-in the app has (a bearer token, or a cookie scheme such as the development sign-in). A policy scheme
/// picks the scheme from what the request carries, so each failure is answered by the scheme it concerns.
/// </summary>
internal static class CallerAuthentication
{
    /// <summary>The policy scheme that forwards to the bearer, API key or cookie scheme.</summary>
    public const string Scheme = "HumanLoopCaller";

    /// <summary>The authorization policy of the answer endpoints.</summary>
    public const string AnswerPolicy = "HumanLoopAnswer";

    /// <summary>
    /// Registers the policy scheme, the bearer scheme when the settings enable it (see <see cref="BearerAuthentication"/>),
    /// and <see cref="AnswerPolicy"/>: an authenticated caller, or, when no API keys are set (the API is open, as the
    /// Functions host is locally), a caller that presents no bearer token.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <param name="apiKeys">The API keys (empty: the API is open).</param>
    /// <exception cref="InvalidOperationException">An identity setting is missing or malformed.</exception>
    public static void AddCallerAuthentication(this IServiceCollection services, IConfiguration configuration, IReadOnlyList<string> apiKeys)
    {
        var bearer = BearerAuthentication.IsEnabled(configuration);
        var authentication = services.AddAuthentication();
        if (bearer)
        {
            BearerAuthentication.AddBearer(authentication, configuration);
        }

        if (bearer)
        {
            // After the app's own transformer, which sets the API key scheme: a bearer token is the other way in.
            services.PostConfigure<OpenApiOptions>("v1", openApi => openApi.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerAuthentication.Scheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A person's token from the identity provider (HumanLoop:Auth:*), for the human-request and callback endpoints; the person answers as themselves, only tasks assigned to them or their roles.",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerAuthentication.Scheme, document)] = [] });
                return Task.CompletedTask;
            }));
        }

        authentication.AddPolicyScheme(Scheme, "HumanLoop callers", options => options.ForwardDefaultSelector = context => Select(context, bearer));
        var open = apiKeys.Count == 0;
        services.AddAuthorizationBuilder().AddPolicy(AnswerPolicy, policy =>
        {
            policy.AddAuthenticationSchemes(Scheme);
            policy.RequireAssertion(context =>
                context.User.Identity?.IsAuthenticated == true
                || (open && context.Resource is HttpContext http && !PresentsBearer(http)));
        });
    }

    /// <summary>Whether the request carries a bearer token.</summary>
    /// <param name="context">The request.</param>
    public static bool PresentsBearer(HttpContext context) =>
        context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    private static string Select(HttpContext context, bool bearer)
    {
        if (bearer && PresentsBearer(context))
        {
            return BearerAuthentication.Scheme;
        }

        if (context.Request.Headers.ContainsKey(ApiKeyAuthentication.HeaderName) || context.Request.Query.ContainsKey(ApiKeyAuthentication.QueryName))
        {
            return ApiKeyAuthentication.Scheme;
        }

        // A cookie sign-in the app registers (such as the development sign-in of the pages), when its cookie came along.
        var schemes = context.RequestServices.GetRequiredService<IOptions<AuthenticationOptions>>().Value.Schemes;
        var cookies = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>();
        foreach (var scheme in schemes)
        {
            if (scheme.HandlerType is { } type && typeof(CookieAuthenticationHandler).IsAssignableFrom(type)
                && cookies.Get(scheme.Name).Cookie.Name is { } name && context.Request.Cookies.ContainsKey(name))
            {
                return scheme.Name;
            }
        }

        // No credentials: the API key scheme answers, with its 401 saying how to send a key.
        return ApiKeyAuthentication.Scheme;
    }
}
