using HumanLoop.Durable.Client;
using HumanLoop.Durable.Graphs;
using HumanLoop.Functions.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using HttpManagementPayload = HumanLoop.Functions.Api.HttpManagementPayload;

namespace HumanLoop.Functions.Functions;

/// <summary>
/// <c>POST api/orchestrators/{functionName}[/{instanceId}]</c> in a Function App: the self-hosted app's
/// <see cref="OrchestratorsApi.StartAsync"/>, over the host's <see cref="DurableTaskClient"/>, answering with the links of
/// the host's own management API.
/// </summary>
internal sealed class OrchestratorsFunctions(DurableRunClientFactory runClients, IGraphCatalog catalog, GraphInputs inputs)
{
    /// <summary>Starts a run of a graph with a new id.</summary>
    [Function(FunctionNames.StartRun)]
    public async Task<IResult> StartRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "orchestrators/{functionName}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string functionName,
        CancellationToken cancellationToken) =>
        await StartAsync(request, client, functionName, instanceId: null, cancellationToken);

    /// <summary>Starts a run of a graph with the given id; 409 when a run with that id exists.</summary>
    [Function(FunctionNames.StartRunWithId)]
    public async Task<IResult> StartRunWithIdAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "orchestrators/{functionName}/{instanceId}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string functionName,
        string instanceId,
        CancellationToken cancellationToken) =>
        await StartAsync(request, client, functionName, instanceId, cancellationToken);

    private async Task<IResult> StartAsync(HttpRequest request, DurableTaskClient client, string functionName, string? instanceId, CancellationToken cancellationToken) =>
        await OrchestratorsApi.StartAsync(
            functionName,
            instanceId,
            request,
            runClients.Create(client),
            catalog,
            inputs,
            id => ToPayload(id, client.CreateHttpManagementPayload(id)),
            cancellationToken);

    // The host's links carry its task hub, connection and system key; the payload type is ours, as the self-hosted app's.
    private static HttpManagementPayload ToPayload(string id, Microsoft.Azure.Functions.Worker.HttpManagementPayload links) =>
        new(
            links.Id ?? id,
            links.StatusQueryGetUri ?? string.Empty,
            links.SendEventPostUri ?? string.Empty,
            links.TerminatePostUri ?? string.Empty,
            links.PurgeHistoryDeleteUri ?? string.Empty);
}
