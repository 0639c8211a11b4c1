using System.Text.Json;
using HumanLoop.Durable.Client;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>Starts runs the way Durable Functions' HTTP starter does: <c>POST /api/orchestrators/{graph}[/{instanceId}]</c>.</summary>
internal static class OrchestratorsApi
{
    public static RouteGroupBuilder MapOrchestratorsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/orchestrators").WithTags("Orchestrators");

        group.MapPost("/{graph}", (string graph, HttpRequest request, IDurableRunClient client, CancellationToken cancellationToken) =>
                StartAsync(graph, instanceId: null, request, client, cancellationToken))
            .WithName("StartRun")
            .WithSummary("Starts a run of a graph with a new id; the body is the input state as JSON (optional).")
            .Accepts<JsonElement>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/{graph}/{instanceId}", StartAsync)
            .WithName("StartRunWithId")
            .WithSummary("Starts a run of a graph with the given id; 409 when a run with that id exists.")
            .Accepts<JsonElement>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        return group;
    }

    internal static async Task<Results<Accepted<HttpManagementPayload>, ProblemHttpResult>> StartAsync(
        string graph,
        string? instanceId,
        HttpRequest request,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        if (instanceId is not null && InstanceIds.GetProblem(instanceId) is { } idProblem)
        {
            return ApiProblems.BadRequest(idProblem);
        }

        var (body, problem) = await JsonBody.ReadAsync(request, required: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // No body starts the run with a JSON null input, as Durable Functions' starter does.
        var input = body ?? JsonSerializer.SerializeToElement((string?)null, ApiJsonContext.Default.String);
        string id;
        try
        {
            id = await client.StartRunAsync(graph, input, new StartRunOptions { RunId = instanceId }, cancellationToken);
        }
        catch (UnknownGraphException ex)
        {
            return ApiProblems.NotFound(ex.Message, new Dictionary<string, object?> { ["graph"] = graph });
        }
        catch (RunAlreadyExistsException ex)
        {
            return ApiProblems.Conflict(ex.Message, new Dictionary<string, object?> { ["instanceId"] = ex.RunId });
        }
        catch (ArgumentException ex)
        {
            // The graph rejected the input (wrong shape for its state type) before anything was stored.
            return ApiProblems.BadRequest(ex.Message);
        }

        var payload = ManagementUris.For(request, id);
        return TypedResults.Accepted(payload.StatusQueryGetUri, payload);
    }
}
