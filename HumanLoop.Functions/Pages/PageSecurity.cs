namespace HumanLoop.Functions.Pages;

/// <summary>The response headers every page carries.</summary>
internal static class PageSecurity
{
    /// <summary>
    /// Nothing but the app's own style sheet and form posts to itself; no script at all, no framing, no base URL, no
    /// plugins. Stricter than <c>script-src 'self'</c>: the pages need no script.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// The chat page's: as strict, except that it runs the app's own script (never inline) and opens the live channel on
    /// its own origin (<c>connect-src 'self'</c> covers <c>ws:</c>/<c>wss:</c> to the same host).
    /// </summary>
    public const string ChatContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Sets the headers on <paramref name="response"/>; the link tokens in page URLs must not leak in a Referer, a cache or a frame.</summary>
    /// <param name="response">The response, before it starts.</param>
    /// <param name="contentSecurityPolicy">The policy; the default is <see cref="ContentSecurityPolicy"/>.</param>
    public static void Apply(HttpResponse response, string contentSecurityPolicy = ContentSecurityPolicy)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = contentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
