using Azure;
using HumanLoop.Durable.Client;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace HumanLoop.Functions.Http;

/// <summary>
/// Turns the exceptions no endpoint handles into problem details: a bad request body (4xx), a storage outage (503),
/// a client that went away (nothing written); anything else is a genuine 500.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is nobody to answer.
            httpContext.Response.StatusCode = 499;
            return true;
        }

        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Invalid request", bad.Message),

            // A run of a graph this host does not have (it was removed, or another app shares the hub): nothing is changed.
            UnknownGraphException unknown => (StatusCodes.Status409Conflict, "Graph not registered", $"The run's graph '{unknown.Graph}' is not registered in this host, so it cannot apply changes to the run; the run is left as it was."),
            _ when IsStorageUnavailable(exception) =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "The storage account did not answer; retry later."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The request failed unexpectedly; see the host's log."),
        };

        if (status >= 500)
        {
            LogUnhandled(logger, httpContext.Request.Method, httpContext.Request.Path, status, exception);
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    // Azure.Core reports a request that failed every retry as an AggregateException of the attempts' failures.
    private static bool IsStorageUnavailable(Exception exception) => exception switch
    {
        RequestFailedException storage => storage.Status is 0 or 408 or >= 500,
        TimeoutException or HttpRequestException or System.Net.Sockets.SocketException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsStorageUnavailable),
        _ => false,
    };

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, int status, Exception exception);
}
