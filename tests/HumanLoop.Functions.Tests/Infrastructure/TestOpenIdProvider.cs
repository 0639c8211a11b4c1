using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>
/// A small OpenID Connect provider on Kestrel for the sign-in tests: its discovery document, its signing key (JWKS),
/// and a token endpoint that redeems the codes the test issues (<see cref="IssueCode"/>) for RS256 id tokens, checking
/// the client's id and secret. The authorize step is the test's own: it reads the app's redirect and issues a code.
/// </summary>
internal sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "humanloop-pages";
    public const string ClientSecret = "pages-secret";
    private const string KeyId = "test-key-1";

    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private readonly ConcurrentQueue<Dictionary<string, string>> _tokenRequests = new();
    private WebApplication _app = null!;

    private TestOpenIdProvider()
    {
    }

    /// <summary>The issuer and authority, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Authority { get; private set; } = null!;

    public Uri AuthorizeEndpoint => new(Authority, "authorize");

    /// <summary>The form fields of every token request received.</summary>
    public IReadOnlyList<Dictionary<string, string>> TokenRequests => [.. _tokenRequests];

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        var provider = new TestOpenIdProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        provider._app = app;
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = provider.Authority.AbsoluteUri,
            ["authorization_endpoint"] = provider.AuthorizeEndpoint.AbsoluteUri,
            ["token_endpoint"] = new Uri(provider.Authority, "token").AbsoluteUri,
            ["jwks_uri"] = new Uri(provider.Authority, "jwks").AbsoluteUri,
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var parameters = provider._key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                },
            });
        });
        app.MapPost("/token", async (HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync(context.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            provider._tokenRequests.Enqueue(form);
            if (form.GetValueOrDefault("client_id") != ClientId || form.GetValueOrDefault("client_secret") != ClientSecret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: StatusCodes.Status401Unauthorized);
            }

            if (form.GetValueOrDefault("grant_type") != "authorization_code" || !provider._codes.TryRemove(form.GetValueOrDefault("code") ?? string.Empty, out var grant)
                || string.IsNullOrEmpty(form.GetValueOrDefault("code_verifier")))
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(new { access_token = "opaque-" + Guid.NewGuid().ToString("N"), token_type = "Bearer", expires_in = 300, id_token = provider.IdToken(grant) });
        });
        await app.StartAsync();
        provider.Authority = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
        return provider;
    }

    /// <summary>A code the token endpoint redeems once for an id token naming <paramref name="user"/>, signed with <paramref name="signWith"/> (default: the published key).</summary>
    public string IssueCode(string user, string[] roles, string nonce, RSA? signWith = null)
    {
        var code = Guid.NewGuid().ToString("N");
        _codes[code] = new Grant(user, roles, nonce, signWith);
        return code;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private string IdToken(Grant grant)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority.AbsoluteUri,
            Audience = ClientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(10),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "id-" + grant.User,
                ["preferred_username"] = grant.User,
                ["roles"] = grant.Roles,
                ["nonce"] = grant.Nonce,
            },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(grant.SignWith ?? _key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    private sealed record Grant(string User, string[] Roles, string Nonce, RSA? SignWith);
}
