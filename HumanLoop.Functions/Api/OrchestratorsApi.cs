using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Graphs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>Starts runs the way Durable Functions' HTTP starter does: <c>POST /api/orchestrators/{graph}[/{instanceId}]</c>.</summary>
internal static class OrchestratorsApi
{
    public static RouteGroupBuilder MapOrchestratorsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/orchestrators").WithTags("Orchestrators");

        group.MapPost(
                "/{graph}",
                (string graph, HttpRequest request, IDurableRunClient client, IGraphCatalog catalog, GraphInputs inputs, ManagementUris links, CancellationToken cancellationToken) =>
                    StartAsync(graph, instanceId: null, request, client, catalog, inputs, id => links.For(request, id), cancellationToken))
            .WithName("StartRun")
            .WithSummary("Starts a run of a graph with a new id; the body is the initial state as JSON (no body: the graph's default input).")
            .Accepts<JsonElement>("application/json", "text/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost(
                "/{graph}/{instanceId}",
                (string graph, string instanceId, HttpRequest request, IDurableRunClient client, IGraphCatalog catalog, GraphInputs inputs, ManagementUris links, CancellationToken cancellationToken) =>
                    StartAsync(graph, instanceId, request, client, catalog, inputs, id => links.For(request, id), cancellationToken))
            .WithName("StartRunWithId")
            .WithSummary("Starts a run of a graph with the given id; 409 when a run with that id exists.")
            .Accepts<JsonElement>("application/json", "text/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        return group;
    }

    /// <summary>Starts a run; both hosts call this: the self-hosted minimal API and the Functions app's HTTP trigger.</summary>
    /// <param name="graph">The graph (orchestrator) name.</param>
    /// <param name="instanceId">The run id to use, or null for a new one.</param>
    /// <param name="request">The request; its body is the input state.</param>
    /// <param name="client">The run client.</param>
    /// <param name="catalog">The registered graphs.</param>
    /// <param name="inputs">The graphs' default inputs.</param>
    /// <param name="managementLinks">
    /// Builds the run's management links from its id; null: links to this app's own management API. The Functions host
    /// serves that API itself, with its own task hub, connection and system key in the query string.
    /// </param>
    /// <param name="cancellationToken">Stops reading the body and starting the run (the caller went away).</param>
    internal static async Task<Results<Accepted<HttpManagementPayload>, ProblemHttpResult>> StartAsync(
        string graph,
        string? instanceId,
        HttpRequest request,
        IDurableRunClient client,
        IGraphCatalog catalog,
        GraphInputs inputs,
        Func<string, HttpManagementPayload> managementLinks,
        CancellationToken cancellationToken)
    {
        if (catalog.Find(graph) is not { } compiled)
        {
            return ApiProblems.NotFound(new UnknownGraphException(graph).Message, new Dictionary<string, object?> { ["graph"] = graph });
        }

        if (instanceId is not null && InstanceIds.GetProblem(instanceId) is { } idProblem)
        {
            return ApiProblems.BadRequest(idProblem);
        }

        var (body, problem) = await JsonBody.ReadAsync(request, required: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // No body: the graph's default input when it has one, else JSON null as Durable Functions' starter passes.
        var input = body
            ?? (inputs.TryGetDefault(compiled.Name, out var defaultInput) ? defaultInput : JsonSerializer.SerializeToElement((string?)null, ApiJsonContext.Default.String));
        if (GraphInputs.GetProblem(compiled, input) is { } inputProblem)
        {
            return ApiProblems.BadRequest(inputProblem, new Dictionary<string, object?> { ["graph"] = compiled.Name });
        }

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
            // The engine's own id rules, checked before anything is stored.
            return ApiProblems.BadRequest(ex.Message);
        }

        var payload = managementLinks(id);
        return TypedResults.Accepted(payload.StatusQueryGetUri, payload);
    }
}
