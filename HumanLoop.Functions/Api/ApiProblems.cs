using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>The RFC 7807 problems the API returns, with one title per kind so clients can tell them apart.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", detail, extensions);

    public static ProblemHttpResult NotFound(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status404NotFound, "Not found", detail, extensions);

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status409Conflict, "Conflict", detail, extensions);

    public static ProblemHttpResult Gone(string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status410Gone, "Gone", detail, extensions);

    public static ProblemHttpResult RunNotFound(string instanceId) =>
        NotFound($"No run has the id '{instanceId}'.", new Dictionary<string, object?> { ["instanceId"] = instanceId });

    public static ProblemHttpResult Create(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
}
