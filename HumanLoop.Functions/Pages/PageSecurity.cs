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

    /// <summary>Sets the headers on <paramref name="response"/>; the link tokens in page URLs must not leak in a Referer, a cache or a frame.</summary>
    /// <param name="response">The response, before it starts.</param>
    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
