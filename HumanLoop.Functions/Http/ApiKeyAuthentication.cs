using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HumanLoop.Functions.Http;

/// <summary>
/// Keys for the HTTP API, as Azure Functions' function keys: sent in the <c>x-functions-key</c> header or the
/// <c>code</c> query parameter. Several keys may be valid at once, so a key can be rotated without downtime.
/// </summary>
internal static class ApiKeyAuthentication
{
    /// <summary>The authentication scheme and the authorization policy that the API's endpoints require.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The header a key may be sent in.</summary>
    public const string HeaderName = "x-functions-key";

    /// <summary>The query parameter a key may be sent in (also written into the management links).</summary>
    public const string QueryName = "code";

    /// <summary>The claim holding the key the caller presented, so links returned to it carry the same key.</summary>
    public const string KeyClaim = "humanloop:key";

    /// <summary>Splits the setting's value: keys separated by commas or semicolons, blanks ignored.</summary>
    public static IReadOnlyList<string> ParseKeys(string? setting) =>
        (setting ?? string.Empty).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Registers the scheme and the policy: with no keys the policy lets every request through.</summary>
    public static void AddApiKeys(this IServiceCollection services, IReadOnlyList<string> keys)
    {
        services.AddAuthentication(Scheme).AddScheme<ApiKeyOptions, ApiKeyHandler>(Scheme, o => o.Keys = keys);
        services.AddAuthorizationBuilder().AddPolicy(Scheme, policy =>
        {
            policy.AddAuthenticationSchemes(Scheme);
            if (keys.Count > 0)
            {
                policy.RequireAuthenticatedUser();
            }
            else
            {
                policy.RequireAssertion(_ => true);
            }
        });
    }

    /// <summary>The key the caller authenticated with, or null (no keys are configured).</summary>
    public static string? PresentedKey(this HttpContext context) => context.User.FindFirst(KeyClaim)?.Value;
}

/// <summary>The valid keys.</summary>
internal sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    public IReadOnlyList<string> Keys { get; set; } = [];
}

/// <summary>Checks the presented key against every valid key in constant time; answers failures with a 401 problem.</summary>
internal sealed class ApiKeyHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder, IProblemDetailsService problems)
    : AuthenticationHandler<ApiKeyOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Options.Keys.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string? presented = Request.Headers[ApiKeyAuthentication.HeaderName].FirstOrDefault();
        if (string.IsNullOrEmpty(presented))
        {
            presented = Request.Query[ApiKeyAuthentication.QueryName].FirstOrDefault();
        }

        if (string.IsNullOrEmpty(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        bool valid = false;
        foreach (var key in Options.Keys)
        {
            // Every key is compared, each in constant time, so timing tells nothing about which part matched.
            valid |= CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(key));
        }

        if (!valid)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ApiKeyAuthentication.KeyClaim, presented)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{ApiKeyAuthentication.HeaderName}";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure is not null
                    ? result.Failure.Message
                    : $"This API requires a key: send it in the '{ApiKeyAuthentication.HeaderName}' header or the '{ApiKeyAuthentication.QueryName}' query parameter.",
            },
        }).ConfigureAwait(false);
    }
}
