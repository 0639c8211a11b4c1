namespace HumanLoop.Functions.Http;

/// <summary>
/// Completes every problem the app writes: adds the <c>traceId</c>, and gives the ones the framework writes itself
/// before any endpoint runs (through <c>UseStatusCodePages</c>: no route, wrong method, a content type routing
/// refuses, a malformed request) a <c>detail</c> saying what was wrong, since those carry only a status and a title.
/// </summary>
internal static class ProblemDefaults
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var request = context.HttpContext.Request;
        problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status400BadRequest => "The request is malformed.",
            StatusCodes.Status404NotFound => $"No endpoint serves {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}"
                + (context.HttpContext.Response.Headers.Allow is { Count: > 0 } allow ? $"; use {string.Join(", ", allow.ToArray())}." : "."),
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than the limit.",
            StatusCodes.Status415UnsupportedMediaType => JsonMediaType.UnsupportedDetail(request.ContentType),
            _ => null,
        };
    }
}
