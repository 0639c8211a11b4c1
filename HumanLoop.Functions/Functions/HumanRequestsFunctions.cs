using HumanLoop.Durable.Client;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Identity;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace HumanLoop.Functions.Functions;

/// <summary>
/// The human task API of a run in a Function App (<c>api/runs/{instanceId}/requests...</c>): the self-hosted app's
/// <see cref="HumanRequestsApi"/> handlers over the host's <see cref="DurableTaskClient"/>.
/// </summary>
internal sealed class HumanRequestsFunctions(DurableRunClientFactory runClients, AnswerGate gate)
{
    /// <summary>Lists the run's open human requests.</summary>
    [Function(FunctionNames.ListOpenRequests)]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}/requests")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        CancellationToken cancellationToken) =>
        await HumanRequestsApi.ListAsync(instanceId, runClients.Create(client), cancellationToken);

    /// <summary>Gets one open human request by id or by human node name.</summary>
    [Function(FunctionNames.GetOpenRequest)]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}/requests/{requestId}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string requestId,
        CancellationToken cancellationToken) =>
        await HumanRequestsApi.GetAsync(instanceId, requestId, runClients.Create(client), cancellationToken);

    /// <summary>Answers a human request with an immediate verdict.</summary>
    [Function(FunctionNames.RespondToRequest)]
    public async Task<IResult> RespondAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/requests/{requestId}/respond")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string requestId,
        CancellationToken cancellationToken) =>
        await HumanRequestsApi.RespondAsync(instanceId, requestId, request, runClients.Create(client), gate, cancellationToken);
}
