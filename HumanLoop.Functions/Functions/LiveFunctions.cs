using HumanLoop.Durable.Client;
using HumanLoop.Durable.Live;
using HumanLoop.Functions.Live;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace HumanLoop.Functions.Functions;

/// <summary>
/// The live channel in a Function App: the Functions host has no WebSocket listener, so the run's live log is served as
/// Server-Sent Events (the self-hosted app's <see cref="LiveEventStream"/>) through the ASP.NET Core integration, which
/// streams the response on plans that stream HTTP responses; answers go through the respond API. See docs/live.md.
/// </summary>
internal sealed class LiveFunctions(DurableRunClientFactory runClients, LiveFeed feed, IOptions<LiveEndpointOptions> options)
{
    /// <summary>Streams the run's live log as Server-Sent Events, resumable with <c>Last-Event-ID</c>.</summary>
    [Function(FunctionNames.LiveEvents)]
    public async Task<IResult> StreamAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}/live")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
    {
        var runs = runClients.Create(client);
        var (info, refusal) = await LiveApi.CheckAsync(request.HttpContext, instanceId, runs, options.Value);
        if (refusal is not null)
        {
            return refusal;
        }

        var after = LiveApi.ReadAfter(request, out var badAfter);
        if (badAfter is not null)
        {
            return badAfter;
        }

        await LiveEventStream.RunAsync(request.HttpContext, instanceId, info!, feed, options.Value, after);
        return Results.Empty;
    }
}
