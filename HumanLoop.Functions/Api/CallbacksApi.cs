using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using HumanLoop.Durable.Callbacks;
using HumanLoop.Durable.Client;
using HumanLoop.Functions.Identity;

namespace HumanLoop.Functions.Api;

/// <summary>
/// The callback API for external systems: <c>POST /api/runs/{instanceId}/requests/{requestId}/responses</c> answers a task
/// with the human-task API's outcome codes, authenticated by API key or bearer token, idempotent on an
/// <c>Idempotency-Key</c> header (the first outcome is replayed; the same key with another request gets 422), and
/// rate-limited per caller (429 with <c>Retry-After</c>). A 429, and a 401 on this or the respond endpoint, is audited
/// when the route names an existing task (<see cref="RefusalAudit"/>).
/// </summary>
internal static class CallbacksApi
{
    /// <summary>The rate-limiting policy of the callback endpoint.</summary>
    public const string RateLimitPolicy = "HumanLoopCallbacks";

    /// <summary>The channel recorded for callbacks when the body names none (always, for a person).</summary>
    public const string Channel = "callback";

    /// <summary>The header set on a replayed outcome.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The longest <c>Idempotency-Key</c> accepted.</summary>
    public const int MaxKeyLength = 200;

    /// <summary>Maps the endpoint (its authorization is the caller's to add).</summary>
    /// <param name="routes">The app.</param>
    public static RouteHandlerBuilder MapCallbacksApi(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/runs/{instanceId}/requests/{requestId}/responses", PostAsync)
            .WithTags("Callbacks")
            .WithName("PostCallbackResponse")
            .WithSummary("Answers a task from an external system: body {\"answer\": <json>, \"respondent\": \"...\", \"channel\": \"...\"}.")
            .WithDescription(
                "Authenticated by an API key (the system answers as the respondent it names) or a bearer token (a person, who answers as "
                + "themselves and only tasks assigned to them or their roles). Send an Idempotency-Key header (1-200 printable ASCII "
                + "characters) to make retries safe: a retry with the same key and the same request gets the first outcome again, with "
                + "the header Idempotent-Replayed: true, for 24 hours by default; the same key with a different request gets 422. "
                + "Rate-limited per caller: 429 with Retry-After.")
            .Accepts<JsonElement>("application/json", "text/json")
            .Produces<RespondResponse>(StatusCodes.Status200OK)
            .Produces<RespondResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(RateLimitPolicy)
            .WithMetadata(new AnswerEndpoint(Channel));

    /// <summary>Registers the options and the per-caller rate limiter.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <exception cref="InvalidOperationException">A callback setting is out of range.</exception>
    public static void AddCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = CallbackOptions.From(configuration);
        services.AddSingleton(options);
        services.AddSingleton<RefusalAudit>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                AnswerCaller.From(context).Id,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.PermitLimit, Window = options.Window, QueueLimit = 0, AutoReplenishment = true }));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.Window;
                var seconds = (long)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
                var caller = AnswerCaller.From(context);
                await context.RequestServices.GetRequiredService<RefusalAudit>().AuditAsync(
                    context,
                    Durable.Audit.AnswerAuditEntry.RateLimited,
                    caller.Person?.Respondent ?? caller.Id,
                    caller.Id,
                    Channel,
                    $"Over the limit of {options.PermitLimit} callbacks per {options.Window} per caller.");
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Type = "https://tools.ietf.org/html/rfc6585#section-4",
                        Title = "Too many requests",
                        Detail = $"At most {options.PermitLimit} callbacks per {options.Window} per caller; retry after {seconds} s.",
                    },
                });
            };
        });
    }

    internal static async Task<IResult> PostAsync(
        string instanceId,
        string requestId,
        HttpContext context,
        IDurableRunClient client,
        AnswerGate gate,
        IdempotencyStore idempotency,
        CallbackOptions options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var keys = context.Request.Headers[HumanRequestsApi.IdempotencyHeader];
        if (keys.Count > 1)
        {
            return ApiProblems.BadRequest($"Send one '{HumanRequestsApi.IdempotencyHeader}' header, not {keys.Count}.");
        }

        var key = keys.Count == 1 ? keys[0] : null;
        if (key is not null && GetKeyProblem(key) is { } keyProblem)
        {
            return ApiProblems.BadRequest(keyProblem);
        }

        var (body, problem) = await JsonBody.ReadAsync(context.Request, required: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (key is null)
        {
            return await HumanRequestsApi.AnswerAsync(instanceId, requestId, body!.Value, context, client, gate, Channel, null, cancellationToken);
        }

        var caller = AnswerCaller.From(context);
        var requestHash = IdempotencyStore.Hash(string.Join('\n', instanceId, requestId, body!.Value.GetRawText()));
        var now = time.GetUtcNow();
        var first = await idempotency.GetAsync(caller.Id, key, cancellationToken);
        var expired = first is not null && now - first.CreatedAt >= options.IdempotencyWindow;
        if (first is not null && !expired)
        {
            if (!string.Equals(first.RequestHash, requestHash, StringComparison.Ordinal))
            {
                return ApiProblems.Create(
                    StatusCodes.Status422UnprocessableEntity,
                    "Idempotency key reused",
                    $"The Idempotency-Key '{key}' was first used {first.CreatedAt:O} for a different request (another task or body); use a new key for a new answer.",
                    new Dictionary<string, object?> { ["instanceId"] = instanceId, ["requestId"] = requestId });
            }

            context.Response.Headers[ReplayedHeader] = "true";
            return Results.Text(first.Body, first.ContentType, Encoding.UTF8, first.StatusCode);
        }

        // The run applies each message id once: the key, scoped to the caller, is the answer's message id.
        var messageId = "idem-" + IdempotencyStore.Hash(caller.Id + "\n" + key)[..32];
        var result = await HumanRequestsApi.AnswerAsync(instanceId, requestId, body.Value, context, client, gate, Channel, messageId, cancellationToken);
        if (result.Result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted })
        {
            // Not a final outcome: a retry asks again, and the run's record of the message id answers it.
            return result;
        }

        // Written into a buffer first, so exactly what the caller gets is what a retry gets.
        var response = context.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await ((IResult)result.Result).ExecuteAsync(context);
        }
        finally
        {
            response.Body = original;
        }

        var text = Encoding.UTF8.GetString(buffer.ToArray());
        if (text.Length <= IdempotencyStore.MaxBodyChars)
        {
            await idempotency.TryAddAsync(
                new IdempotencyRecord
                {
                    Caller = caller.Id,
                    Key = key,
                    RequestHash = requestHash,
                    StatusCode = response.StatusCode,
                    ContentType = response.ContentType,
                    Body = text,
                    CreatedAt = now,
                },
                replace: expired,
                cancellationToken);
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, cancellationToken);
        return Results.Empty;
    }

    private static string? GetKeyProblem(string key)
    {
        if (key.Length is 0 or > MaxKeyLength)
        {
            return $"The '{HumanRequestsApi.IdempotencyHeader}' header must be 1 to {MaxKeyLength} characters long, not {key.Length}.";
        }

        foreach (var c in key)
        {
            if (c is < ' ' or > '~')
            {
                return $"The '{HumanRequestsApi.IdempotencyHeader}' header may hold printable ASCII characters only.";
            }
        }

        return null;
    }
}
