using HumanLoop.Durable.Audit;
using HumanLoop.Durable.Callbacks;
using HumanLoop.Durable.Client;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Identity;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace HumanLoop.Functions.Functions;

/// <summary>
/// The callback API and the answer audit in a Function App: the self-hosted app's <see cref="CallbacksApi"/> and
/// <see cref="AuditApi"/> handlers over the host's <see cref="DurableTaskClient"/>. The host checks function keys, so
/// every caller is a system; the per-caller rate limit is the self-hosted app's (a Function App scales out instead).
/// </summary>
internal sealed class CallbacksFunctions(
    DurableRunClientFactory runClients, AnswerGate gate, IdempotencyStore idempotency, AnswerAuditStore audit, CallbackOptions options, TimeProvider time)
{
    /// <summary>Answers a task from an external system, idempotent on <c>Idempotency-Key</c>.</summary>
    [Function(FunctionNames.PostCallbackResponse)]
    public async Task<IResult> PostAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/requests/{requestId}/responses")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string requestId,
        CancellationToken cancellationToken) =>
        await CallbacksApi.PostAsync(instanceId, requestId, request.HttpContext, runClients.Create(client), gate, idempotency, options, time, cancellationToken);

    /// <summary>Lists every answer to the run's requests, accepted or refused.</summary>
    [Function(FunctionNames.GetRunAudit)]
    public async Task<IResult> GetRunAuditAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}/audit")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        CancellationToken cancellationToken) =>
        await AuditApi.ReadRunAsync(instanceId, runClients.Create(client), audit, cancellationToken);

    /// <summary>Lists every answer to one request, accepted or refused.</summary>
    [Function(FunctionNames.GetRequestAudit)]
    public async Task<IResult> GetRequestAuditAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}/requests/{requestId}/audit")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string requestId,
        CancellationToken cancellationToken) =>
        await AuditApi.ReadRequestAsync(instanceId, requestId, runClients.Create(client), audit, cancellationToken);
}
