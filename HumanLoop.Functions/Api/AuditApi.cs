using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Client;
using HumanLoop.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>
/// The audit of a run's answers, per run and per task: every answer accepted or refused, with respondent, channel,
/// time and outcome in their own fields. It merges the run's own log (answers it applied: accepted, or rejected by
/// validation) with <c>{Hub}Audit</c> (answers refused before or without reaching it), oldest first.
/// </summary>
internal static class AuditApi
{
    /// <summary>Maps the endpoints (their authorization is the caller's to add).</summary>
    /// <param name="routes">The app.</param>
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/runs/{instanceId}").WithTags("Audit");
        group.MapGet("/audit", ReadRunAsync)
            .WithName("GetRunAudit")
            .WithSummary("Lists every answer to the run's requests, accepted or refused, oldest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/requests/{requestId}/audit", ReadRequestAsync)
            .WithName("GetRequestAudit")
            .WithSummary("Lists every answer to one request (by request id), accepted or refused, oldest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    internal static Task<Results<Ok<List<AnswerAuditEntry>>, ProblemHttpResult>> ReadRunAsync(
        string instanceId, IDurableRunClient client, AnswerAuditStore audit, CancellationToken cancellationToken) =>
        ReadAsync(instanceId, null, client, audit, cancellationToken);

    internal static Task<Results<Ok<List<AnswerAuditEntry>>, ProblemHttpResult>> ReadRequestAsync(
        string instanceId, string requestId, IDurableRunClient client, AnswerAuditStore audit, CancellationToken cancellationToken) =>
        ReadAsync(instanceId, requestId, client, audit, cancellationToken);

    private static async Task<Results<Ok<List<AnswerAuditEntry>>, ProblemHttpResult>> ReadAsync(
        string instanceId, string? requestId, IDurableRunClient client, AnswerAuditStore audit, CancellationToken cancellationToken)
    {
        if (InstanceIds.GetProblem(instanceId) is not null
            || await client.GetStatusAsync(instanceId, new StatusOptions { ShowInput = false, ShowOutput = false }, cancellationToken) is null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        var events = await client.GetEventsAsync(instanceId, 0, int.MaxValue, cancellationToken);
        var applied = events
            .Where(e => e.Kind is RunEventKind.InputAccepted or RunEventKind.InputRejected && e.RequestId is not null)
            .Where(e => requestId is null || string.Equals(e.RequestId, requestId, StringComparison.OrdinalIgnoreCase))
            .Select(e => new AnswerAuditEntry
            {
                RunId = instanceId,
                RequestId = e.RequestId!,
                MessageId = e.MessageId,
                Respondent = e.Respondent ?? string.Empty,
                Channel = e.Channel,
                At = e.At,
                Outcome = (e.Outcome ?? (e.Kind == RunEventKind.InputAccepted ? ResponseStatus.Accepted : ResponseStatus.Rejected)).ToString(),
                Reason = e.Message,
                Source = AnswerAuditEntry.RunSource,
            });
        var refused = await audit.ReadAsync(instanceId, requestId, cancellationToken);
        return TypedResults.Ok(applied.Concat(refused).OrderBy(e => e.At).ToList());
    }
}
