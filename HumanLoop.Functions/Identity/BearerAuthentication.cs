using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HumanLoop.Functions.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// JWT bearer tokens for people, from an OpenID Connect provider (<c>HumanLoop:Auth:Authority</c>, its keys discovered)
/// or from keys given in configuration (<c>HumanLoop:Auth:SigningKeys</c>, no network). Off unless one of the two is set.
/// Every failure is a 401 problem saying what was wrong with the token.
/// </summary>
internal static class BearerAuthentication
{
    /// <summary>The scheme's name.</summary>
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>The role claim type tokens are validated with; <see cref="Reviewer.RoleClaimTypes"/> lists the others read.</summary>
    public const string RolesClaim = "roles";

    /// <summary>The largest clock difference between the token's issuer and this host that lifetimes allow.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>Whether the settings enable bearer tokens.</summary>
    /// <param name="configuration">The app's configuration.</param>
    public static bool IsEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[AppSettings.AuthAuthority]) || !string.IsNullOrWhiteSpace(configuration[AppSettings.AuthSigningKeys]);

    /// <summary>Adds the scheme from the settings.</summary>
    /// <param name="authentication">The authentication builder.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <exception cref="InvalidOperationException">A setting is missing or malformed; the message names it.</exception>
    public static void AddBearer(AuthenticationBuilder authentication, IConfiguration configuration)
    {
        var authority = Trimmed(configuration[AppSettings.AuthAuthority]);
        // Without an audience of its own, a token issued to the pages' client (HumanLoop:Auth:ClientId) is for this app.
        var audiences = List(configuration[AppSettings.AuthAudience] ?? configuration[AppSettings.AuthClientId]);
        var issuers = List(configuration[AppSettings.AuthIssuer]);
        var keys = ReadSigningKeys(configuration[AppSettings.AuthSigningKeys]);
        var roleClaim = Trimmed(configuration[AppSettings.AuthRoleClaimType]);
        var requireHttps = configuration.GetValue(AppSettings.AuthRequireHttpsMetadata, defaultValue: true);
        if (audiences.Count == 0)
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthAudience}' (or '{AppSettings.AuthClientId}') must name the audience bearer tokens are issued for (this API's client id or URI).");
        }

        if (authority is null && issuers.Count == 0)
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthIssuer}' must name the issuer of tokens signed with '{AppSettings.AuthSigningKeys}' when '{AppSettings.AuthAuthority}' is not set.");
        }

        if (authority is not null && !Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthAuthority}' must be an absolute URL, not '{authority}'.");
        }

        authentication.AddJwtBearer(Scheme, options =>
        {
            options.Authority = authority;
            options.RequireHttpsMetadata = requireHttps;

            // Claims keep the names the token gives them (sub, preferred_username, roles), as Reviewer reads them.
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateAudience = true,
                ValidAudiences = audiences,
                ValidateIssuer = true,
                ValidIssuers = issuers.Count > 0 ? issuers : null,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                IssuerSigningKeys = keys.Count > 0 ? keys : null,
                ClockSkew = ClockSkew,
                NameClaimType = "preferred_username",
                RoleClaimType = RolesClaim,
            };
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    if (roleClaim is not null && context.Principal?.Identity is ClaimsIdentity identity)
                    {
                        // The provider's own role claim (such as groups) becomes roles, which assignees name.
                        foreach (var claim in identity.FindAll(roleClaim).ToList())
                        {
                            identity.AddClaim(new Claim(RolesClaim, claim.Value));
                        }
                    }

                    return Task.CompletedTask;
                },
                OnChallenge = WriteChallengeAsync,
            };
        });
    }

    /// <summary>Reads signing keys: a JSON Web Key Set (<c>{"keys": [...]}</c>) or PEM public keys or certificates.</summary>
    /// <param name="setting">The setting's value.</param>
    /// <exception cref="InvalidOperationException">The value is neither, or holds no key.</exception>
    public static IReadOnlyList<SecurityKey> ReadSigningKeys(string? setting)
    {
        var text = Trimmed(setting);
        if (text is null)
        {
            return [];
        }

        try
        {
            if (text.StartsWith('{'))
            {
                var keys = new JsonWebKeySet(text).GetSigningKeys();
                return keys.Count > 0 ? [.. keys] : throw new InvalidOperationException($"Setting '{AppSettings.AuthSigningKeys}' is a key set with no signing key.");
            }

            var found = new List<SecurityKey>();
            var rest = text.AsSpan();
            while (PemEncoding.TryFind(rest, out var fields))
            {
                var pem = rest[fields.Location].ToString();
                var label = rest[fields.Label].ToString();
                found.Add(label switch
                {
                    "CERTIFICATE" => new X509SecurityKey(X509Certificate2.CreateFromPem(pem)),
                    _ => ImportPublicKey(pem),
                });
                rest = rest[fields.Location.End..];
            }

            return found.Count > 0 ? found : throw new InvalidOperationException($"Setting '{AppSettings.AuthSigningKeys}' must be a JSON Web Key Set or PEM public keys; it holds neither.");
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException or System.Text.Json.JsonException)
        {
            throw new InvalidOperationException($"Setting '{AppSettings.AuthSigningKeys}' could not be read: {ex.Message}", ex);
        }

        static SecurityKey ImportPublicKey(string pem)
        {
            try
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                return new RsaSecurityKey(rsa);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return new ECDsaSecurityKey(ec);
            }
        }
    }

    private static async Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var failure = context.AuthenticateFailure;
        var detail = failure switch
        {
            null => "This API requires a bearer token (Authorization: Bearer <token>) or an API key.",
            SecurityTokenExpiredException => "The bearer token has expired.",
            SecurityTokenNotYetValidException => "The bearer token is not valid yet.",
            SecurityTokenInvalidAudienceException => "The bearer token was not issued for this API (its audience does not match).",
            SecurityTokenInvalidIssuerException => "The bearer token's issuer is not trusted.",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The bearer token's signature is not valid.",
            SecurityTokenMalformedException => "The bearer token is malformed.",
            SecurityTokenNoExpirationException => "The bearer token has no expiry.",
            _ => "The bearer token is not valid.",
        };
        var response = context.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized", Detail = detail },
        }).ConfigureAwait(false);
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static List<string> List(string? value) =>
        [.. (value ?? string.Empty).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
