using HumanLoop.Durable.Client;
using HumanLoop.Functions.Api;
using HumanLoop.Functions.Samples;
using Microsoft.AspNetCore.Antiforgery;

namespace HumanLoop.Functions.Pages;

/// <summary>
/// <c>GET /chat/{runId}</c>: a run's live chat (the app's own script over the live channel: streamed replies, a button
/// per choice, inputs with the refusal shown in place). <c>GET /chat</c> offers to start a <c>support-chat</c> run and
/// <c>POST /chat</c> starts one, while the API is open (no API keys, as locally); with keys, start runs through the API
/// and open <c>/chat/{runId}?code=KEY</c>.
/// </summary>
internal static class ChatPage
{
    /// <summary>The chat's path.</summary>
    public const string Path = "/chat";

    public static IEndpointRouteBuilder MapChatPage(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, (HttpContext context, IAntiforgery antiforgery) => StartForm(context, antiforgery, null, StatusCodes.Status200OK)).ExcludeFromDescription();
        routes.MapPost(Path, StartAsync).ExcludeFromDescription();
        routes.MapGet(Path + "/{runId}", ShowAsync).ExcludeFromDescription();
        return routes;
    }

    internal static async Task<IResult> ShowAsync(HttpContext context, string runId, IDurableRunClient client)
    {
        var info = InstanceIds.GetProblem(runId) is null
            ? await client.GetStatusAsync(runId, new StatusOptions { ShowInput = false, ShowOutput = false }, context.RequestAborted)
            : null;
        if (info is null)
        {
            return new PageResult(StatusCodes.Status404NotFound, "No such chat", new Html().Element("p", $"There is no run '{runId}'.", "error"));
        }

        var body = new Html()
            .Raw("<section id=\"chat\" class=\"chat\"")
            .Attribute("data-run", runId)
            .Attribute("data-live", context.Request.PathBase + "/api/runs/" + Uri.EscapeDataString(runId) + "/live")
            .Raw("><ol id=\"transcript\" class=\"transcript\" aria-live=\"polite\"></ol><div id=\"composer\" class=\"composer\"></div>")
            .Raw("<p id=\"connection\" class=\"muted\">Connecting…</p></section>");
        return new PageResult(StatusCodes.Status200OK, info.Name == SupportChatGraph.Name ? "Support chat" : $"Chat: {info.Name}", body, PageAssets.ChatScriptPath);
    }

    private static async Task<IResult> StartAsync(HttpContext context, IAntiforgery antiforgery, IDurableRunClient client, ChatStart start)
    {
        if (!start.Open)
        {
            return StartForm(context, antiforgery, null, StatusCodes.Status403Forbidden);
        }

        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return StartForm(context, antiforgery, "The form had expired; start again.", StatusCodes.Status400BadRequest);
        }

        var sample = SampleGraphs.ByName[SupportChatGraph.Name];
        var runId = await client.StartRunAsync(sample.Graph.Name, sample.DefaultInput, new StartRunOptions { RunId = "chat-" + Guid.NewGuid().ToString("N")[..12] }, context.RequestAborted);
        return Results.Redirect($"{context.Request.PathBase}{Path}/{runId}");
    }

    private static PageResult StartForm(HttpContext context, IAntiforgery antiforgery, string? error, int status)
    {
        var open = context.RequestServices.GetRequiredService<ChatStart>().Open;
        var body = new Html();
        if (!open)
        {
            return new PageResult(status == StatusCodes.Status200OK ? StatusCodes.Status403Forbidden : status, "Support chat", body.Element(
                "p",
                $"This app requires API keys, so chats are started through the API: POST /api/orchestrators/{SupportChatGraph.Name} with a key, then open /chat/{{runId}}?code=KEY.",
                "notice"));
        }

        var tokens = antiforgery.GetAndStoreTokens(context);
        if (error is not null)
        {
            body.Raw("<p class=\"error\" role=\"alert\">").Text(error).Raw("</p>");
        }

        body.Element("p", "The password-reset assistant asks whether you have an account, asks for your username, and streams its replies.")
            .Raw("<form class=\"answer\" method=\"post\"").Attribute("action", context.Request.PathBase + Path).Raw(">")
            .Hidden(tokens.FormFieldName, tokens.RequestToken)
            .Raw("<div class=\"buttons\"><button type=\"submit\" id=\"start\">Start a support chat</button></div></form>");
        return new PageResult(status, "Support chat", body);
    }
}

/// <summary>Whether <c>POST /chat</c> may start runs: only while the API is open (no API keys).</summary>
/// <param name="Open">No API keys are configured.</param>
internal sealed record ChatStart(bool Open);
