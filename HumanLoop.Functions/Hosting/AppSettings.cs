namespace HumanLoop.Functions.Hosting;

/// <summary>The configuration keys the app reads besides host.json; each is documented in docs/http-api.md.</summary>
internal static class AppSettings
{
    /// <summary>The storage connection (Azure Functions' name). Missing means <c>UseDevelopmentStorage=true</c>.</summary>
    public const string Storage = "AzureWebJobsStorage";

    /// <summary>Azurite's shorthand connection string.</summary>
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    /// <summary>Whether <c>serve</c> may start the pinned Azurite (default true).</summary>
    public const string AzuriteAutoStart = "HumanLoop:Azurite:AutoStart";

    /// <summary>The largest request body accepted, in bytes (default 1 MiB).</summary>
    public const string MaxRequestBodyBytes = "HumanLoop:Http:MaxRequestBodyBytes";

    /// <summary>The keys the HTTP API requires (comma-separated; unset: the API is open, as the Functions host is locally).</summary>
    public const string ApiKeys = "HumanLoop:Http:ApiKeys";

    /// <summary>
    /// The public base URL of the API (such as <c>https://humanloop.example.com</c>) that <c>Location</c> and the management
    /// links start with; unset: the request's host when it names this server, else the listening address.
    /// </summary>
    public const string BaseUrl = "HumanLoop:Http:BaseUrl";

    /// <summary>
    /// The secret continuation tokens are signed with (a key is derived from it); the same on every host of a hub so
    /// that a token from one host works on another. Unset: a random key per process.
    /// </summary>
    public const string ContinuationTokenKey = "HumanLoop:Http:ContinuationTokenKey";

    /// <summary>The OpenID Connect issuer bearer tokens come from (its metadata and signing keys are fetched from it); unset: no discovery.</summary>
    public const string AuthAuthority = "HumanLoop:Auth:Authority";

    /// <summary>The audiences a bearer token must name, comma-separated; required when bearer tokens are enabled.</summary>
    public const string AuthAudience = "HumanLoop:Auth:Audience";

    /// <summary>The issuers a bearer token may name, comma-separated (default: the authority's); required with signing keys and no authority.</summary>
    public const string AuthIssuer = "HumanLoop:Auth:Issuer";

    /// <summary>The keys bearer tokens are signed with, as a JSON Web Key Set or PEM public keys; no network needed.</summary>
    public const string AuthSigningKeys = "HumanLoop:Auth:SigningKeys";

    /// <summary>A claim type roles are read from besides <c>roles</c>, <c>role</c> and the WS-* role claim (such as <c>groups</c>).</summary>
    public const string AuthRoleClaimType = "HumanLoop:Auth:RoleClaimType";

    /// <summary>The client id of this app at the OpenID Connect provider; with <see cref="AuthAuthority"/> it turns on the pages' sign-in.</summary>
    public const string AuthClientId = "HumanLoop:Auth:ClientId";

    /// <summary>The client secret of this app at the provider (the authorization code is redeemed with it); unset: a public client (PKCE only).</summary>
    public const string AuthClientSecret = "HumanLoop:Auth:ClientSecret";

    /// <summary>The scopes the pages' sign-in asks for, separated by spaces or commas (default <c>openid profile</c>; <c>openid</c> is always asked).</summary>
    public const string AuthScopes = "HumanLoop:Auth:Scopes";

    /// <summary>The claim of the provider's id token that is the reviewer's user name (default: the first of <c>preferred_username</c>, <c>name</c>, <c>sub</c>).</summary>
    public const string AuthUserClaimType = "HumanLoop:Auth:UserClaimType";

    /// <summary>The path the provider sends the sign-in back to (default <c>/signin-oidc</c>); register <c>{base URL}{path}</c> as the redirect URI.</summary>
    public const string AuthCallbackPath = "HumanLoop:Auth:CallbackPath";

    /// <summary>Whether the authority's metadata must be fetched over HTTPS (default true).</summary>
    public const string AuthRequireHttpsMetadata = "HumanLoop:Auth:RequireHttpsMetadata";

    /// <summary>How many callbacks one caller may send per window (default 60).</summary>
    public const string CallbackPermitLimit = "HumanLoop:Http:Callbacks:PermitLimit";

    /// <summary>The callback rate limit's window (default one minute).</summary>
    public const string CallbackWindow = "HumanLoop:Http:Callbacks:Window";

    /// <summary>How long a callback's first outcome is kept for its <c>Idempotency-Key</c> (default 24 hours).</summary>
    public const string CallbackIdempotencyWindow = "HumanLoop:Http:Callbacks:IdempotencyWindow";

    /// <summary>A certificate file (PKCS#12, or PEM with its private key) the link key ring is encrypted with at rest; unset: unencrypted.</summary>
    public const string LinkKeyCertificatePath = "HumanLoop:Links:KeyCertificatePath";

    /// <summary>The password of the PKCS#12 files of <see cref="LinkKeyCertificatePath"/> and <see cref="LinkPreviousKeyCertificatePaths"/>.</summary>
    public const string LinkKeyCertificatePassword = "HumanLoop:Links:KeyCertificatePassword";

    /// <summary>Certificate files older keys were encrypted with (comma-separated), kept to read them after a replacement.</summary>
    public const string LinkPreviousKeyCertificatePaths = "HumanLoop:Links:PreviousKeyCertificatePaths";

    /// <summary>Whether plain http requests are redirected to the app's https address (default false; needs an https address).</summary>
    public const string HttpsRedirection = "HumanLoop:Http:HttpsRedirection";

    /// <summary>Whether HTTPS responses carry Strict-Transport-Security (default false; needs an https address).</summary>
    public const string HstsEnabled = "HumanLoop:Http:Hsts:Enabled";

    /// <summary>The HSTS max-age (default 365 days).</summary>
    public const string HstsMaxAge = "HumanLoop:Http:Hsts:MaxAge";

    /// <summary>Whether HSTS covers subdomains (default false).</summary>
    public const string HstsIncludeSubDomains = "HumanLoop:Http:Hsts:IncludeSubDomains";

    /// <summary>Whether HSTS asks browsers to preload it (default false).</summary>
    public const string HstsPreload = "HumanLoop:Http:Hsts:Preload";

    /// <summary>Whether every cookie is marked Secure (default: when the app listens on an https address; true behind a proxy that ends TLS).</summary>
    public const string SecureCookies = "HumanLoop:Http:SecureCookies";

    /// <summary>An explicit path to host.json; by default it is looked for from the current directory up, then next to the app.</summary>
    public const string HostJsonPath = "HumanLoop:HostJsonPath";

    /// <summary>The prefix under which the Functions host lets settings override host.json keys.</summary>
    public const string HostJsonOverridePrefix = "AzureFunctionsJobHost";

    /// <summary>The default of <see cref="MaxRequestBodyBytes"/>: 1 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;
}
