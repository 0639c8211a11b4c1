using Microsoft.Net.Http.Headers;

namespace HumanLoop.Functions.Http;

/// <summary>The content types a JSON request body may be declared as, and the 415 message for any other.</summary>
internal static class JsonMediaType
{
    /// <summary>The media types accepted; <c>charset</c>, when given, must be UTF-8.</summary>
    public static readonly string[] MediaTypes = ["application/json", "text/json"];

    /// <summary>Whether a <c>Content-Type</c> declares JSON this API reads: one of <see cref="MediaTypes"/>, in UTF-8.</summary>
    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !MediaTypes.Any(m => parsed.MediaType.Equals(m, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        // JSON exchanged between systems is UTF-8 (RFC 8259); a body declared in another charset would be misread.
        return !parsed.Charset.HasValue
            || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || parsed.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The <c>detail</c> of a 415 problem for a body declared as <paramref name="contentType"/>.</summary>
    public static string UnsupportedDetail(string? contentType) =>
        "The request body must be JSON in UTF-8, sent with Content-Type: application/json (or text/json); this request has "
        + (string.IsNullOrEmpty(contentType) ? "no Content-Type." : $"Content-Type: {contentType}.");
}
