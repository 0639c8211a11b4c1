using System.Text.Json;
using HumanLoop.Durable.Client;
using HumanLoop.Functions.Identity;
using HumanLoop.Runs;
using HumanLoop.Runtime;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanLoop.Functions.Api;

/// <summary>
/// The human task API of one run: list its open requests, read one, and answer one with an immediate verdict
/// (200 accepted, 400 with the validation message and the prompt, 404, 409 already answered, 410 expired).
/// </summary>
internal static class HumanRequestsApi
{
    /// <summary>The respondent recorded when the body names none.</summary>
    public const string AnonymousRespondent = "anonymous";

    /// <summary>The channel recorded for answers through the respond endpoint when the body names none (always, for a person).</summary>
    public const string HttpChannel = "http";

    /// <summary>A header that makes retries of one answer safe, used when the body has no <c>messageId</c>.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapHumanRequestsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/runs/{instanceId}/requests").WithTags("Human requests");

        group.MapGet("/", ListAsync)
            .WithName("ListOpenRequests")
            .WithSummary("Lists the run's open human requests.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{requestId}", GetAsync)
            .WithName("GetOpenRequest")
            .WithSummary("Gets one open human request by id or by human node name.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{requestId}/respond", RespondAsync)
            .WithName("RespondToRequest")
            .WithSummary("Answers a human request: body {\"answer\": <json>, \"respondent\": \"...\", \"messageId\": \"...\"}.")
            .Accepts<JsonElement>("application/json", "text/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithMetadata(new AnswerEndpoint(HttpChannel));

        return group;
    }

    internal static async Task<Results<Ok<List<HumanRequest>>, ProblemHttpResult>> ListAsync(
        string instanceId,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        var info = InstanceIds.GetProblem(instanceId) is null
            ? await client.GetStatusAsync(instanceId, new StatusOptions { ShowInput = false, ShowOutput = false }, cancellationToken)
            : null;
        return info is null ? ApiProblems.RunNotFound(instanceId) : TypedResults.Ok(info.OpenRequests.ToList());
    }

    internal static async Task<Results<Ok<HumanRequest>, ProblemHttpResult>> GetAsync(
        string instanceId,
        string requestId,
        IDurableRunClient client,
        CancellationToken cancellationToken)
    {
        var info = InstanceIds.GetProblem(instanceId) is null
            ? await client.GetStatusAsync(instanceId, new StatusOptions { ShowInput = false, ShowOutput = false }, cancellationToken)
            : null;
        if (info is null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        var request = info.OpenRequests.FirstOrDefault(r => string.Equals(r.Id, requestId, StringComparison.OrdinalIgnoreCase))
            ?? info.OpenRequests.FirstOrDefault(r => string.Equals(r.Node, requestId, StringComparison.OrdinalIgnoreCase));
        return request is null
            ? ApiProblems.NotFound($"Run '{instanceId}' has no open request '{requestId}'.", new Dictionary<string, object?> { ["instanceId"] = instanceId, ["requestId"] = requestId })
            : TypedResults.Ok(request);
    }

    internal static async Task<Results<Ok<RespondResponse>, Accepted<RespondResponse>, ProblemHttpResult>> RespondAsync(
        string instanceId,
        string requestId,
        HttpRequest request,
        IDurableRunClient client,
        AnswerGate gate,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, required: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return await AnswerAsync(instanceId, requestId, body!.Value, request.HttpContext, client, gate, HttpChannel, request.Headers[IdempotencyHeader].FirstOrDefault(), cancellationToken);
    }

    /// <summary>
    /// Answers a request with a body already read: checks the envelope, the caller (<see cref="AnswerGate"/>), then hands
    /// the answer to the run and turns its outcome into the response.
    /// </summary>
    /// <param name="instanceId">The run.</param>
    /// <param name="requestId">The request id or human node name.</param>
    /// <param name="body">The envelope: <c>answer</c>, <c>respondent</c>, <c>channel</c>, <c>messageId</c>.</param>
    /// <param name="context">The request, for its caller.</param>
    /// <param name="client">The run client.</param>
    /// <param name="gate">Who may answer.</param>
    /// <param name="endpointChannel">The channel recorded when the body names none (always, for a person).</param>
    /// <param name="fallbackMessageId">The message id when the body has none (an <c>Idempotency-Key</c>).</param>
    /// <param name="cancellationToken">Cancels the storage calls and the wait for the outcome.</param>
    internal static async Task<Results<Ok<RespondResponse>, Accepted<RespondResponse>, ProblemHttpResult>> AnswerAsync(
        string instanceId,
        string requestId,
        JsonElement body,
        HttpContext context,
        IDurableRunClient client,
        AnswerGate gate,
        string endpointChannel,
        string? fallbackMessageId,
        CancellationToken cancellationToken)
    {
        if (!TryReadEnvelope(body, out var answer, out var named, out var channel, out var messageId, out var error))
        {
            return ApiProblems.BadRequest(error);
        }

        messageId ??= fallbackMessageId;
        if (InstanceIds.GetProblem(instanceId) is not null)
        {
            return ApiProblems.RunNotFound(instanceId);
        }

        var (respondent, recordedChannel, refusal) = await gate.CheckAsync(
            AnswerCaller.From(context), client, instanceId, requestId, named, channel, endpointChannel, messageId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        ResponseOutcome outcome;
        try
        {
            outcome = await client.RespondAsync(instanceId, requestId, answer, respondent, recordedChannel, messageId, cancellationToken);
        }
        catch (RunNotFoundException)
        {
            return ApiProblems.RunNotFound(instanceId);
        }
        catch (RunFinishedException ex)
        {
            return ApiProblems.Gone(ex.Message, new Dictionary<string, object?> { ["instanceId"] = instanceId, ["runtimeStatus"] = ex.Status.ToString() });
        }

        var extensions = new Dictionary<string, object?> { ["instanceId"] = instanceId, ["requestId"] = requestId, ["outcome"] = outcome.Status.ToString() };
        if (outcome.Request is { } r)
        {
            extensions["request"] = r;
        }

        switch (outcome.Status)
        {
            case ResponseStatus.Accepted:
            case ResponseStatus.Duplicate:
                return TypedResults.Ok(new RespondResponse(outcome.Status.ToString(), outcome.Message, outcome.Request));
            case ResponseStatus.Buffered:
                return TypedResults.Accepted((string?)null, new RespondResponse(outcome.Status.ToString(), outcome.Message, outcome.Request));
            case ResponseStatus.Rejected:
                extensions["prompt"] = outcome.Request?.Prompt;
                extensions["options"] = outcome.Request?.Options.ToArray();
                extensions["attempts"] = outcome.Request?.Attempts;
                extensions["maxAttempts"] = outcome.Request?.MaxAttempts;
                return ApiProblems.Create(StatusCodes.Status400BadRequest, "Answer rejected", outcome.Message ?? "The answer is not valid.", extensions);
            case ResponseStatus.AlreadyAnswered:
                extensions["answer"] = outcome.Request?.Answer;
                extensions["respondent"] = outcome.Request?.Respondent;
                extensions["answeredVia"] = outcome.Request?.AnsweredVia;
                return ApiProblems.Create(StatusCodes.Status409Conflict, "Already answered", outcome.Message ?? $"Request '{requestId}' was already answered.", extensions);
            case ResponseStatus.Expired:
                return ApiProblems.Create(StatusCodes.Status410Gone, "Request expired", outcome.Message ?? $"Request '{requestId}' is no longer open.", extensions);
            case ResponseStatus.RunFinished:
                return ApiProblems.Create(StatusCodes.Status410Gone, "Run finished", outcome.Message ?? $"Run '{instanceId}' has finished.", extensions);
            case ResponseStatus.UnknownRequest:
            default:
                return ApiProblems.NotFound(outcome.Message ?? $"Run '{instanceId}' has no request '{requestId}'.", extensions);
        }
    }

    private static bool TryReadEnvelope(
        JsonElement body,
        out JsonElement answer,
        out string? respondent,
        out string? channel,
        out string? messageId,
        out string error)
    {
        answer = default;
        respondent = null;
        channel = null;
        messageId = null;
        error = string.Empty;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "The body must be a JSON object: {\"answer\": <the answer>, \"respondent\": \"who\"}.";
            return false;
        }

        if (!body.TryGetProperty("answer", out answer))
        {
            error = "The body has no 'answer' property.";
            return false;
        }

        answer = answer.Clone();
        if (!TryString(body, "respondent", ref error, out var who)
            || !TryString(body, "channel", ref error, out channel)
            || !TryString(body, "messageId", ref error, out messageId))
        {
            return false;
        }

        respondent = string.IsNullOrWhiteSpace(who) ? null : who;
        return true;

        static bool TryString(JsonElement body, string name, ref string error, out string? value)
        {
            value = null;
            if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (element.ValueKind != JsonValueKind.String)
            {
                error = $"'{name}' must be a string.";
                return false;
            }

            value = element.GetString();
            return true;
        }
    }
}
