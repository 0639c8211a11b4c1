using HumanLoop.Functions.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace HumanLoop.Functions.Http;

/// <summary>
/// Secure transport of the self-hosted app: HTTPS redirection and HSTS when their settings turn them on, and every
/// cookie the app sets (antiforgery, the development sign-in, any cookie sign-in registered later) marked
/// <c>Secure</c> when the app serves HTTPS. TLS itself is Kestrel's: its certificate settings, checked at start by
/// <see cref="CertificateSettings"/>. See docs/transport.md.
/// </summary>
internal static class TransportSecurity
{
    /// <summary>The default HSTS max-age: one year.</summary>
    public static readonly TimeSpan DefaultHstsMaxAge = TimeSpan.FromDays(365);

    /// <summary>Reads and checks the transport settings.</summary>
    /// <param name="configuration">The app's configuration.</param>
    /// <param name="servesHttps">Whether the app listens on at least one https address.</param>
    /// <exception cref="InvalidOperationException">A setting does not parse, or redirection or HSTS is on while the app serves no HTTPS.</exception>
    public static TransportSettings Read(IConfiguration configuration, bool servesHttps)
    {
        var settings = new TransportSettings
        {
            ServesHttps = servesHttps,
            HttpsRedirection = configuration.GetValue(AppSettings.HttpsRedirection, defaultValue: false),
            Hsts = configuration.GetValue(AppSettings.HstsEnabled, defaultValue: false),
            HstsMaxAge = configuration.GetValue(AppSettings.HstsMaxAge, DefaultHstsMaxAge),
            HstsIncludeSubDomains = configuration.GetValue(AppSettings.HstsIncludeSubDomains, defaultValue: false),
            HstsPreload = configuration.GetValue(AppSettings.HstsPreload, defaultValue: false),
            SecureCookies = configuration.GetValue<bool?>(AppSettings.SecureCookies) ?? servesHttps,
        };

        if (settings.HstsMaxAge < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Setting '{AppSettings.HstsMaxAge}' must not be negative, not {settings.HstsMaxAge}.");
        }

        foreach (var (on, setting) in new[] { (settings.HttpsRedirection, AppSettings.HttpsRedirection), (settings.Hsts, AppSettings.HstsEnabled) })
        {
            if (on && !servesHttps)
            {
                throw new InvalidOperationException(
                    $"Setting '{setting}' is on, but the app listens on no https address. Configure a certificate ({CertificateSettings.DefaultCertificate}:Path) "
                    + "and an https URL (--urls \"https://localhost:7071;http://localhost:7070\", or Kestrel:Endpoints), or turn the setting off "
                    + "(behind a proxy that ends TLS, let the proxy redirect and send HSTS).");
            }
        }

        return settings;
    }

    /// <summary>Registers the redirection, HSTS and cookie settings.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="settings">The settings from <see cref="Read"/>.</param>
    public static IServiceCollection AddTransportSecurity(this IServiceCollection services, TransportSettings settings)
    {
        services.AddSingleton(settings);
        services.AddHsts(options =>
        {
            options.MaxAge = settings.HstsMaxAge;
            options.IncludeSubDomains = settings.HstsIncludeSubDomains;
            options.Preload = settings.HstsPreload;
        });
        if (settings.SecureCookies)
        {
            // PostConfigure: after each feature set its own cookie options, whichever registers first.
            services.PostConfigure<AntiforgeryOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.Always);
            services.PostConfigureAll<CookieAuthenticationOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.Always);
        }

        return services;
    }

    /// <summary>Adds HSTS and HTTPS redirection to the pipeline when their settings are on; call it early, before the endpoints.</summary>
    /// <param name="app">The app.</param>
    public static IApplicationBuilder UseTransportSecurity(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<TransportSettings>();
        if (settings.Hsts)
        {
            // Sent on HTTPS responses only, and never for localhost, 127.0.0.1 or [::1] (a browser would pin them for every local app).
            app.UseHsts();
        }

        if (settings.HttpsRedirection)
        {
            app.UseHttpsRedirection();
        }

        return app;
    }
}
