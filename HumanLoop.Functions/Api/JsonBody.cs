using System.Text.Json;
using HumanLoop.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Reads a request body as JSON, turning every way it can be wrong (too large, not declared as JSON, not JSON, nested
/// too deep, text that is not Unicode, empty when a value is needed, the client going away) into a 4xx problem
/// instead of an exception, before any of it reaches a run.
/// </summary>
internal static class JsonBody
{
    /// <summary>
    /// The deepest nesting of arrays and objects a body may have. It is well below System.Text.Json's default limit
    /// (64) so that the envelopes the engine wraps around a value (the event, the state, the history) stay within it.
    /// </summary>
    public const int MaxDepth = 32;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth };

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

        if (!JsonMediaType.IsJson(request.ContentType))
        {
            return (null, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", JsonMediaType.UnsupportedDetail(request.ContentType)));
        }

        JsonElement value;
        try
        {
            using var document = JsonDocument.Parse(content, Options);
            value = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.BadRequest(NestsTooDeep(content)
                ? $"The request body nests arrays and objects more than {MaxDepth} levels deep; the limit is {MaxDepth}."
                : $"The request body is not valid JSON: {ex.Message}"));
        }

        if (JsonText.FindInvalid(value) is { } invalid)
        {
            return (null, ApiProblems.BadRequest(invalid.Problem, new Dictionary<string, object?> { ["path"] = invalid.Path }));
        }

        return (value, null);
    }

    // Called once parsing failed, to tell a body that is too deep from one that is malformed: the reader allows one level
    // more than the limit, so reaching that level means the limit was the parser's reason.
    private static bool NestsTooDeep(ReadOnlySpan<byte> content)
    {
        var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject && reader.CurrentDepth >= MaxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed before reaching the limit.
        }

        return false;
    }

    private static string MaxBodyBytes(HttpRequest request) =>
        request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize?.ToString(System.Globalization.CultureInfo.InvariantCulture)
        ?? "the configured";
}
