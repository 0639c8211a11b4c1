using HumanLoop.Durable.Client;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Durable Functions' instance management API under <c>/runtime/webhooks/durabletask/instances</c>: status, list,
/// raise event, terminate and purge, with its status codes.
/// </summary>
internal static class InstancesApi
{
    /// <summary>The request and response header that carries the list's continuation token.</summary>
    public const string ContinuationHeader = "x-ms-continuation-token";

    /// <summary>The largest page the list returns.</summary>
    public const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapInstancesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(ManagementUris.InstancesPath).WithTags("Instances");

        group.MapGet("/", ListAsync)
            .WithName("ListInstances")
            .WithSummary("Lists runs matching the filters, a page at a time; the next page's token is in the x-ms-continuation-token header.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{instanceId}", GetStatusAsync)
            .WithName("GetInstanceStatus")
            .WithSummary("Gets a run's status: 202 while pending or running, 200 once finished.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{instanceId}/raiseEvent/{eventName}", RaiseEventAsync)
            .WithName("RaiseEvent")
            .WithSummary("Raises an external event (a human request id or human node name); the body is the event data as JSON.")
            .Accepts<System.Text.Json.JsonElement>("application/json", "text/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/{instanceId}/terminate", TerminateAsync)
            .WithName("TerminateInstance")
            .WithSummary("Terminates a run.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);

        group.MapDelete("/{instanceId}", PurgeAsync)
            .WithName("PurgeInstanceHistory")
            .WithSummary("Deletes a finished run and its history.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    internal static async Task<Results<Ok<InstanceStatusResponse>, Accepted<InstanceStatusResponse>, ProblemHttpResult>> GetStatusAsync(
        string instanceId,
        [FromQuery] string? showHistory,
        [FromQuery] string? showHistoryOutput,
        [FromQuery] string? showInput,
        HttpRequest request,
        IDurableRunClient client,
        ManagementUris links,
        CancellationToken cancellationToken)
    {
        if (!QueryValues.TryParseBool(showHistory, nameof(showHistory), false, out var history, out var error)
            || !QueryValues.TryParseBool(showHistoryOutput, nameof(showHistoryOutput), false, out var historyOutput, out error)
            || !QueryValues.TryParseBool(showInput, nameof(showInput), true, out var input, out error))
        {
            return ApiProblems.BadRequest(error!);
        }

        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        var info = await client.GetStatusAsync(
            instanceId,
            new StatusOptions { ShowInput = input, ShowOutput = true, ShowHistory = history },
            cancellationToken);
        if (info is null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        var body = InstanceStatusMapper.ToResponse(info, input, history, historyOutput);
        return info.RuntimeStatus.IsTerminal()
            ? TypedResults.Ok(body)
            : TypedResults.Accepted(links.Status(request, instanceId), body);
    }

    internal static async Task<Results<Ok<List<InstanceStatusResponse>>, ProblemHttpResult>> ListAsync(
        [FromQuery] string? runtimeStatus,
        [FromQuery] string? createdTimeFrom,
        [FromQuery] string? createdTimeTo,
        [FromQuery] string? instanceIdPrefix,
        [FromQuery] string? top,
        [FromQuery] string? showInput,
        [FromHeader(Name = ContinuationHeader)] string? continuationToken,
        HttpResponse response,
        IDurableRunClient client,
        ContinuationTokens tokens,
        CancellationToken cancellationToken)
    {
        if (!TryParseStatuses(runtimeStatus, out var statuses, out var error)
            || !QueryValues.TryParseTime(createdTimeFrom, nameof(createdTimeFrom), out var from, out error)
            || !QueryValues.TryParseTime(createdTimeTo, nameof(createdTimeTo), out var to, out error)
            || !QueryValues.TryParseInt(top, nameof(top), 1, MaxPageSize, 100, out var pageSize, out error)
            || !QueryValues.TryParseBool(showInput, nameof(showInput), false, out var input, out error))
        {
            return ApiProblems.BadRequest(error!);
        }

        string? storeToken = null;
        if (!string.IsNullOrEmpty(continuationToken) && !tokens.TryDecode(continuationToken, out storeToken))
        {
            return ApiProblems.BadRequest($"The {ContinuationHeader} header is not a continuation token this API issued.");
        }

        var query = new RunQuery
        {
            Statuses = statuses,
            CreatedFrom = from,
            CreatedTo = to,
            InstanceIdPrefix = string.IsNullOrEmpty(instanceIdPrefix) ? null : instanceIdPrefix,
            PageSize = pageSize,
            ContinuationToken = storeToken,
        };

        var page = await client.QueryAsync(query, cancellationToken);
        if (page.ContinuationToken is not null)
        {
            response.Headers[ContinuationHeader] = tokens.Encode(page.ContinuationToken);
        }

        return TypedResults.Ok(page.Runs.Select(r => InstanceStatusMapper.ToResponse(r, input, false, false)).ToList());
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> RaiseEventAsync(
        string instanceId,
        string eventName,
        HttpRequest request,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        var (data, problem) = await JsonBody.ReadAsync(request, required: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        try
        {
            await client.RaiseEventAsync(instanceId, eventName, data!.Value, respondent: null, cancellationToken);
        }
        catch (RunNotFoundException)
        {
            return ApiProblems.RunNotFound(instanceId);
        }
        catch (RunFinishedException ex)
        {
            return ApiProblems.Gone(ex.Message, new Dictionary<string, object?> { ["instanceId"] = instanceId, ["runtimeStatus"] = ex.Status.ToString() });
        }

        return TypedResults.Accepted((string?)null);
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> TerminateAsync(
        string instanceId,
        [FromQuery] string? reason,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        bool terminated;
        try
        {
            terminated = await client.TerminateAsync(instanceId, string.IsNullOrWhiteSpace(reason) ? "Terminated through the HTTP API." : reason, cancellationToken);
        }
        catch (RunNotFoundException)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        return terminated
            ? TypedResults.Accepted((string?)null)
            : ApiProblems.Gone($"Run '{instanceId}' has already finished.", new Dictionary<string, object?> { ["instanceId"] = instanceId });
    }

    internal static async Task<Results<Ok<PurgeHistoryResponse>, ProblemHttpResult>> PurgeAsync(
        string instanceId,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        try
        {
            return await client.PurgeAsync(instanceId, cancellationToken)
                ? TypedResults.Ok(new PurgeHistoryResponse(1))
                : ApiProblems.RunNotFound(instanceId);
        }
        catch (InvalidOperationException ex)
        {
            return ApiProblems.Conflict(ex.Message, new Dictionary<string, object?> { ["instanceId"] = instanceId });
        }
    }

    private static bool TryParseStatuses(string? text, out IReadOnlyList<RunStatus>? statuses, out string? error)
    {
        statuses = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var list = new List<RunStatus>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<RunStatus>(part, ignoreCase: true, out var status) || !Enum.IsDefined(status) || int.TryParse(part, out _))
            {
                error = $"Query parameter 'runtimeStatus' has the unknown status '{part}'; use a comma list of {string.Join(", ", Enum.GetNames<RunStatus>())}.";
                return false;
            }

            list.Add(status);
        }

        statuses = list;
        return true;
    }
}
