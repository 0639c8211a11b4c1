using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.HumanTasks;
using HumanLoop.Functions.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// Decides who an answer is recorded from, and refuses (403, audited) a person who is not one of the request's assignees
/// or who names another respondent. Systems answer as the respondent they name: every API key may (it has full access).
/// </summary>
internal sealed class AnswerGate(HumanTaskStore tasks, AnswerAuditStore audit, TimeProvider time)
{
    /// <summary>Checks a caller's answer before it goes to the run.</summary>
    /// <param name="caller">Who calls.</param>
    /// <param name="client">The run client, to read the run's open requests.</param>
    /// <param name="runId">The run.</param>
    /// <param name="target">The request id or human node name the answer is for.</param>
    /// <param name="respondent">The respondent the body names, if any.</param>
    /// <param name="channel">The channel the body names, if any (a person's answer is recorded on <paramref name="endpointChannel"/>).</param>
    /// <param name="endpointChannel">The endpoint's own channel, such as <c>http</c> or <c>callback</c>.</param>
    /// <param name="messageId">The answer's message id, if any.</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    /// <returns>The respondent and channel to record, or the 403 (or 404) problem to return.</returns>
    public async Task<(string Respondent, string Channel, ProblemHttpResult? Refusal)> CheckAsync(
        AnswerCaller caller,
        IDurableRunClient client,
        string runId,
        string target,
        string? respondent,
        string? channel,
        string endpointChannel,
        string? messageId,
        CancellationToken cancellationToken)
    {
        if (!caller.IsPerson)
        {
            return (string.IsNullOrWhiteSpace(respondent) ? HumanRequestsApi.AnonymousRespondent : respondent, channel ?? endpointChannel, null);
        }

        if (caller.Person is not { } person)
        {
            var unnamed = "The sign-in names no user (none of the claims " + string.Join(", ", Reviewer.UserClaimTypes) + "), so it cannot answer.";
            return (caller.Id, endpointChannel, await RefuseAsync(runId, target, caller.Id, endpointChannel, messageId, unnamed, cancellationToken));
        }

        var (requestId, assignees) = await FindAssigneesAsync(client, runId, target, cancellationToken);
        if (requestId is null)
        {
            // A person answers requests that exist; an answer kept for a request not asked yet would skip this check.
            return (person.Respondent, endpointChannel, ApiProblems.NotFound(
                $"Run '{runId}' has no request '{target}' to answer.",
                new Dictionary<string, object?> { ["instanceId"] = runId, ["requestId"] = target }));
        }

        if (!string.IsNullOrWhiteSpace(respondent)
            && !string.Equals(respondent, person.Respondent, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(respondent, person.User, StringComparison.OrdinalIgnoreCase))
        {
            var impersonation = $"'{person.Respondent}' cannot answer as '{respondent}': a signed-in person answers as themselves.";
            return (person.Respondent, endpointChannel, await RefuseAsync(runId, requestId, person.Respondent, endpointChannel, messageId, impersonation, cancellationToken));
        }

        if (!person.IsAssignee(assignees))
        {
            var detail = $"'{person.Respondent}' is not an assignee of request '{requestId}' (assigned to {string.Join(", ", assignees)}).";
            return (person.Respondent, endpointChannel, await RefuseAsync(runId, requestId, person.Respondent, endpointChannel, messageId, detail, cancellationToken));
        }

        return (person.Respondent, endpointChannel, null);
    }

    private async Task<(string? RequestId, IReadOnlyCollection<string> Assignees)> FindAssigneesAsync(IDurableRunClient client, string runId, string target, CancellationToken cancellationToken)
    {
        var status = await client.GetStatusAsync(runId, new StatusOptions { ShowInput = false, ShowOutput = false }, cancellationToken);
        if (status is null)
        {
            // No such run: the run client answers 404.
            return (target, []);
        }

        var open = status.OpenRequests.FirstOrDefault(r => string.Equals(r.Id, target, StringComparison.OrdinalIgnoreCase))
            ?? status.OpenRequests.FirstOrDefault(r => string.Equals(r.Node, target, StringComparison.OrdinalIgnoreCase));
        if (open is not null)
        {
            return (open.Id, open.Assignees);
        }

        // A closed request still has its assignees: a person who was not one learns nothing of how it closed.
        var recorded = await tasks.FindAsync(runId, target, cancellationToken);
        return recorded is null ? (null, []) : (recorded.RequestId, recorded.Assignees);
    }

    private async Task<ProblemHttpResult> RefuseAsync(
        string runId, string requestId, string respondent, string channel, string? messageId, string detail, CancellationToken cancellationToken)
    {
        await audit.AppendAsync(
            new AnswerAuditEntry
            {
                RunId = runId,
                RequestId = requestId,
                MessageId = messageId,
                Respondent = respondent,
                Channel = channel,
                At = time.GetUtcNow(),
                Outcome = AnswerAuditEntry.Forbidden,
                Reason = detail,
                Source = AnswerAuditEntry.ApiSource,
            },
            cancellationToken);
        return ApiProblems.Create(
            StatusCodes.Status403Forbidden,
            "Forbidden",
            detail,
            new Dictionary<string, object?> { ["instanceId"] = runId, ["requestId"] = requestId, ["respondent"] = respondent });
    }
}
