using HumanLoop.Durable.Audit;
using HumanLoop.Functions.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// ASP.NET Core's own handling of authorization results (401 challenge, 403), which first audits a 401 on an endpoint
/// that takes answers (<see cref="AnswerEndpoint"/>), through <see cref="RefusalAudit"/>. The caller is not known, so the
/// respondent is <c>anonymous</c> whatever the request names.
/// </summary>
internal sealed class AuditingAuthorizationResultHandler(RefusalAudit refusals) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged && context.GetEndpoint()?.Metadata.GetMetadata<AnswerEndpoint>() is { } answers)
        {
            var presented = CallerAuthentication.PresentsBearer(context) ? "a bearer token that is not valid"
                : context.Request.Headers.ContainsKey(Http.ApiKeyAuthentication.HeaderName) || context.Request.Query.ContainsKey(Http.ApiKeyAuthentication.QueryName) ? "an API key that is not valid"
                : "no credentials";
            await refusals.AuditAsync(
                context,
                AnswerAuditEntry.Unauthorized,
                HumanRequestsApi.AnonymousRespondent,
                AnswerCaller.From(context).Id,
                answers.Channel,
                $"Not authenticated: the request carried {presented}.");
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
