using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Reads a request body as JSON, turning every way it can be wrong (too large, not JSON, empty when a value is
/// needed, the client going away) into a 4xx problem instead of an exception.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Reads the body.</summary>
    /// <param name="request">The request.</param>
    /// <param name="required">Whether an empty body is an error; otherwise it reads as <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The JSON value (detached from the buffer), or the problem to return.</returns>
    public static async Task<(JsonElement? Value, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, bool required, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            content = buffer.ToArray();
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's MaxRequestBodySize (413) and truncated bodies (400) surface here.
            return (null, ApiProblems.Create(
                ex.StatusCode,
                ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Invalid request",
                ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"The request body is larger than the limit of {MaxBodyBytes(request)} bytes."
                    : ex.Message));
        }

        if (content.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            return required
                ? (null, ApiProblems.BadRequest("The request body is empty; it must be a JSON value."))
                : (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(content, Options);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.BadRequest($"The request body is not valid JSON: {ex.Message}"));
        }
    }

    private static string MaxBodyBytes(HttpRequest request) =>
        request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize?.ToString(System.Globalization.CultureInfo.InvariantCulture)
        ?? "the configured";
}
