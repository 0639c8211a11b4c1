namespace HumanLoop.Functions.Http;

/// <summary>The transport settings of the self-hosted app, read and checked by <see cref="TransportSecurity.Read"/>.</summary>
internal sealed record TransportSettings
{
    /// <summary>Whether the app listens on at least one https address.</summary>
    public required bool ServesHttps { get; init; }

    /// <summary>Whether plain http requests are redirected (307) to the https address. The default is false.</summary>
    public bool HttpsRedirection { get; init; }

    /// <summary>Whether HTTPS responses carry <c>Strict-Transport-Security</c>. The default is false.</summary>
    public bool Hsts { get; init; }

    /// <summary>The HSTS max-age. The default is 365 days.</summary>
    public TimeSpan HstsMaxAge { get; init; } = TransportSecurity.DefaultHstsMaxAge;

    /// <summary>Whether HSTS covers subdomains. The default is false.</summary>
    public bool HstsIncludeSubDomains { get; init; }

    /// <summary>Whether HSTS asks to be preloaded. The default is false.</summary>
    public bool HstsPreload { get; init; }

    /// <summary>Whether every cookie is marked <c>Secure</c>, also on a plain http request. The default is <see cref="ServesHttps"/>.</summary>
    public bool SecureCookies { get; init; }
}
