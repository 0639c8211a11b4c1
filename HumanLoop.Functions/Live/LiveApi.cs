using System.Globalization;
using HumanLoop.Durable.Client;
using HumanLoop.Durable.Live;
using HumanLoop.Functions.Api;
using Microsoft.Extensions.Options;

namespace HumanLoop.Functions.Live;

/// <summary>
/// <c>GET /api/runs/{instanceId}/live</c>: the run's live channel (docs/live.md). A WebSocket upgrade gets the two-way
/// JSON protocol; a request that accepts <c>text/event-stream</c> gets the same frames as Server-Sent Events, resumable
/// with <c>Last-Event-ID</c>. Both resume after the <c>after</c> query parameter. Authentication is the answer
/// endpoints' (a key, a bearer token or a cookie sign-in on the upgrade request), and a browser page of another origin
/// is refused.
/// </summary>
internal static class LiveApi
{
    /// <summary>The route.</summary>
    public const string Route = "/api/runs/{instanceId}/live";

    /// <summary>Registers the live channel's services and options (<c>HumanLoop:Live</c>).</summary>
    /// <param name="services">The app's services.</param>
    public static IServiceCollection AddLiveChannel(this IServiceCollection services)
    {
        services.AddOptions<LiveEndpointOptions>()
            .BindConfiguration(LiveOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<LiveAnswers>();
        return services;
    }

    /// <summary>Maps the live route.</summary>
    /// <param name="routes">The app.</param>
    public static RouteHandlerBuilder MapLiveApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet(Route, ConnectAsync)
            .WithTags("Live")
            .WithName("LiveChannel")
            .WithSummary("The run's live channel: a WebSocket (JSON protocol), or Server-Sent Events with Accept: text/event-stream (docs/live.md).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

    internal static async Task<IResult> ConnectAsync(
        HttpContext context,
        string instanceId,
        IDurableRunClient client,
        LiveFeed feed,
        LiveAnswers answers,
        IOptions<LiveEndpointOptions> options,
        ILoggerFactory loggers)
    {
        var (info, refusal) = await CheckAsync(context, instanceId, client, options.Value);
        if (refusal is not null)
        {
            return refusal;
        }

        var after = ReadAfter(context.Request, out var badAfter);
        if (badAfter is not null)
        {
            return badAfter;
        }

        if (context.WebSockets.IsWebSocketRequest)
        {
            // A host that stops closes its live connections (1001) rather than holding its shutdown; clients reconnect to another.
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            using var session = new LiveSocketSession(socket, context, instanceId, info!, client, feed, answers, options.Value, loggers.CreateLogger<LiveSocketSession>());
            await session.RunAsync(after, stopping, context.RequestAborted);
            return Results.Empty;
        }

        if (AcceptsEventStream(context.Request))
        {
            await LiveEventStream.RunAsync(context, instanceId, info!, feed, options.Value, after);
            return Results.Empty;
        }

        return ApiProblems.BadRequest($"{Route.Replace("{instanceId}", instanceId, StringComparison.Ordinal)} is a live channel: open it as a WebSocket, or as Server-Sent Events with 'Accept: text/event-stream'.");
    }

    /// <summary>The checks before any stream starts: the run id, the origin, the run's existence.</summary>
    internal static async Task<(RunStatusInfo? Info, IResult? Refusal)> CheckAsync(HttpContext context, string instanceId, IDurableRunClient client, LiveEndpointOptions options)
    {
        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return (null, ApiProblems.RunNotFound(instanceId));
        }

        if (OriginProblem(context.Request, options) is { } origin)
        {
            return (null, ApiProblems.Create(StatusCodes.Status403Forbidden, "Origin not allowed", origin));
        }

        var info = await client.GetStatusAsync(instanceId, new StatusOptions { ShowInput = false, ShowOutput = false }, context.RequestAborted);
        return info is null ? (null, ApiProblems.RunNotFound(instanceId)) : (info, null);
    }

    /// <summary>
    /// Why a browser page may not open the channel: its <c>Origin</c> is neither this app's (the request's scheme and host)
    /// nor an allowed one. A request without <c>Origin</c> is not a page's and passes to authentication.
    /// </summary>
    internal static string? OriginProblem(HttpRequest request, LiveEndpointOptions options)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null;
        }

        var own = $"{request.Scheme}://{request.Host}";
        if (string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || options.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        return $"Pages from '{origin}' may not open this live channel; only this app's own pages ({own}) and the origins in HumanLoop:Live:AllowedOrigins may.";
    }

    /// <summary>The sequence number to resume after: <c>Last-Event-ID</c>, else the <c>after</c> query parameter, else 0.</summary>
    internal static long ReadAfter(HttpRequest request, out IResult? problem)
    {
        problem = null;
        var text = request.Headers["Last-Event-ID"].ToString();
        var name = "Last-Event-ID";
        if (text.Length == 0)
        {
            text = request.Query["after"].ToString();
            name = "after";
        }

        if (text.Length == 0)
        {
            return 0;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
        {
            return after;
        }

        problem = ApiProblems.BadRequest($"'{name}' must be a sequence number (0 or more), not '{(text.Length > 40 ? text[..40] + "…" : text)}'.");
        return 0;
    }

    private static bool AcceptsEventStream(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase));
}
